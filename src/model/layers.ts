import { WeightsFormatError } from '../errors';
import type { BuildContext, Graph, Stage, Value } from '../graph/graph';
import type { KernelProgram } from '../gpu/kernel';
import { conv2dProgram, convOutputSize } from '../ops/conv2d';
import { reluProgram } from '../ops/elementwise';
import { maxPool3x3OutputSize, maxPool3x3Program } from '../ops/max-pool';
import { nearestUp2AddProgram } from '../ops/resize';
import type { Tensor } from '../ops/tensor';

/**
 * Graph-building helpers of the backbone and the FPN: each adds one node (one layer) that binds a
 * kernel from `src/ops` to planned activations and loaded weights. Weight names are the engine
 * names of weights/README.md. (The head builds its packed nodes itself: dynamic-head.ts.)
 */
export type WeightTable = ReadonlyMap<string, Tensor>;

export class LayerBuilder {
  constructor(
    readonly graph: Graph,
    private readonly weights: WeightTable,
    public stage: Stage,
  ) {}

  weight(name: string): Tensor {
    const t = this.weights.get(name);
    if (!t) throw new WeightsFormatError(`tensor "${name}" is missing`);
    return t;
  }

  hasWeight(name: string): boolean {
    return this.weights.has(name);
  }

  /**
   * Adds a node with one output of `shape`; with `inPlaceOf`, the output takes over that input's
   * storage (the kernel reads and writes it).
   */
  private node(
    name: string,
    inputs: Value[],
    shape: readonly number[],
    build: (ctx: BuildContext, out: Tensor) => KernelProgram[],
    inPlaceOf?: number,
  ): Value {
    const out = this.graph.value(name, shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs,
      outputs: [out],
      inPlace: inPlaceOf === undefined ? undefined : [[0, inPlaceOf]],
      build: (ctx) => build(ctx, ctx.tensor(out)),
    });
    return out;
  }

  /** Conv with HWIO weights `<prefix>.weight` (+ `<prefix>.bias` when present), fused residual/ReLU. */
  conv(
    prefix: string,
    input: Value,
    options: { stride?: number; padding?: number; relu?: boolean; residual?: Value; bias?: boolean; name?: string } = {},
  ): Value {
    const weights = this.weight(`${prefix}.weight`);
    const bias = options.bias === false ? undefined : this.weights.get(`${prefix}.bias`);
    const stride = options.stride ?? 1;
    const padding = options.padding ?? Math.floor(weights.shape[0]! / 2);
    const [n, h, w, cin] = input.shape as [number, number, number, number];
    const [kh, kw, wcin, cout] = weights.shape as [number, number, number, number];
    if (wcin !== cin) throw new WeightsFormatError(`${prefix}.weight expects ${wcin} input channels, the layer gets ${cin}`);
    const out = this.graph.value(options.name ?? prefix, [
      n,
      convOutputSize(h, kh, stride, padding),
      convOutputSize(w, kw, stride, padding),
      cout,
    ]);
    const residual = options.residual;
    this.graph.add({
      name: prefix,
      stage: this.stage,
      inputs: residual ? [input, residual] : [input],
      outputs: [out],
      build: (ctx) => [
        conv2dProgram(ctx.scope, {
          input: ctx.tensor(input),
          weights,
          bias,
          residual: residual ? ctx.tensor(residual) : undefined,
          relu: options.relu,
          stride,
          padding,
          out: ctx.tensor(out),
        }),
      ],
    });
    return out;
  }

  maxPool(input: Value, stride: 1 | 2, name: string): Value {
    const [n, h, w, c] = input.shape as [number, number, number, number];
    const shape = [n, maxPool3x3OutputSize(h, stride), maxPool3x3OutputSize(w, stride), c];
    return this.node(name, [input], shape, (ctx, out) => [maxPool3x3Program(ctx.scope, ctx.tensor(input), out, stride)]);
  }

  /** out = lateral + nearest ×2 upsample of top, written in place of `lateral`. */
  upsampleAdd(lateral: Value, top: Value, name: string): Value {
    return this.node(name, [lateral, top], lateral.shape, (ctx, out) => [nearestUp2AddProgram(ctx.scope, ctx.tensor(lateral), ctx.tensor(top), out)], 0);
  }

  /** ReLU into a new value (P7 reads ReLU(P6) while P6 itself stays an output). */
  relu(input: Value, name: string): Value {
    return this.node(name, [input], input.shape, (ctx, out) => [reluProgram(ctx.scope, ctx.tensor(input), out)]);
  }
}
