import { InvalidArgumentError, WeightsFormatError } from '../errors';
import type { BuildContext, Graph, Stage, Value } from '../graph/graph';
import type { KernelProgram } from '../gpu/kernel';
import { conv2dProgram, convOutputSize } from '../ops/conv2d';
import { depthwiseConv3x3Program } from '../ops/depthwise-conv';
import {
  addProgram,
  axpbyInPlaceProgram,
  gateResidualReluInPlaceProgram,
  reluProgram,
  scaleProgram,
} from '../ops/elementwise';
import { foldedAffineBuffer, maskedGroupStatsPrograms, type MaskedPixels } from '../ops/masked-group-stats';
import { sparseEpilogueProgram } from '../ops/sparse-conv';
import { maxPool3x3OutputSize, maxPool3x3Program } from '../ops/max-pool';
import { bilinearResizeProgram, nearestUp2AddProgram } from '../ops/resize';
import { spatialGateProgram, type GateActivation } from '../ops/spatial-gate';
import type { Tensor } from '../ops/tensor';

/**
 * Graph-building helpers: each adds one node (one layer) that binds a kernel from `src/ops` to
 * planned activations and loaded weights. Weight names are the engine names of weights/README.md.
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

  /** Spatial gate (3×3 conv C→1 + activation); returns [gate, logits]. */
  spatialGate(prefix: string, input: Value, activation: GateActivation, tau: number): [Value, Value] {
    const [n, h, w] = input.shape as [number, number, number, number];
    const gate = this.graph.value(`${prefix}.gate`, [n, h, w, 1]);
    const logits = this.graph.value(`${prefix}.gate_logit`, [n, h, w, 1]);
    const weights = this.weight(`${prefix}.gate_conv.weight`);
    const bias = this.weight(`${prefix}.gate_conv.bias`);
    this.graph.add({
      name: `${prefix}.gate`,
      stage: this.stage,
      inputs: [input],
      outputs: [gate, logits],
      build: (ctx) => [
        spatialGateProgram(ctx.scope, {
          input: ctx.tensor(input),
          weights,
          bias,
          gate: ctx.tensor(gate),
          logits: ctx.tensor(logits),
          activation,
          tau,
        }),
      ],
    });
    return [gate, logits];
  }

  /** Depthwise 3×3 with bias (weights tap-major [9, C]). */
  depthwise(prefix: string, input: Value, name: string): Value {
    const weights = this.weight(`${prefix}.weight`);
    const bias = this.weight(`${prefix}.bias`);
    return this.node(name, [input], input.shape, (ctx, out) => [depthwiseConv3x3Program(ctx.scope, ctx.tensor(input), weights, bias, out)]);
  }

  /**
   * GroupNorm (+ ReLU), statistics over all pixels or only where `mask` > 0 (then inactive pixels
   * are written as 0 — the official masked inference's scatter into zeros). One image at a time.
   */
  groupNorm(prefix: string, input: Value, groups: number, eps: number, options: { relu?: boolean; mask?: Value } = {}): Value {
    const gamma = this.weight(`${prefix}.weight`);
    const beta = this.weight(`${prefix}.bias`);
    const mask = options.mask;
    const [, h, w, c] = input.shape as [number, number, number, number];
    // Statistics by the barrier-free masked-statistics kernel (one image), then one fused
    // normalise/affine(/ReLU) pass that writes 0 outside the mask.
    return this.node(`${input.name}.gn`, mask ? [input, mask] : [input], input.shape, (ctx, out) => {
      const x = ctx.tensor(input);
      const m = mask ? ctx.tensor(mask) : undefined;
      const affine = foldedAffineBuffer(ctx.scope, c);
      const pixels: MaskedPixels = m ? { mode: 'mask', mask: m } : { mode: 'all' };
      const stats = maskedGroupStatsPrograms(ctx.scope, x, { groups, eps, pixels, fold: { gamma, beta, affine } });
      const epilogue = { kind: options.relu ? 'relu' : 'affine' } as const;
      return [...stats.programs, sparseEpilogueProgram(ctx.scope, { conv: x, pixels: h * w, channels: c, affine, mask: m, epilogue, out })];
    });
  }

  /** Bilinear (align_corners=True) resize of `source` into a new value or accumulated into `into`. */
  resize(source: Value, shape: readonly number[], name: string, into?: Value): Value {
    if (into && into.shape.some((d, i) => d !== shape[i])) throw new InvalidArgumentError('into', 'shape mismatch');
    const build = (ctx: BuildContext, out: Tensor) => [bilinearResizeProgram(ctx.scope, ctx.tensor(source), out, { accumulate: into !== undefined })];
    return into ? this.node(name, [into, source], shape, build, 0) : this.node(name, [source], shape, build);
  }

  /** In place on acc: acc · sa + b · sb with learned scalars. */
  axpby(acc: Value, sa: Tensor, b: Value, sb: Tensor, name: string): Value {
    return this.node(name, [acc, b], acc.shape, (ctx, out) => [axpbyInPlaceProgram(ctx.scope, out, sa, ctx.tensor(b), sb)], 0);
  }

  /** In place on o: ReLU(o · gate + residual). */
  gateResidualRelu(o: Value, gate: Value, residual: Value, name: string): Value {
    return this.node(name, [o, gate, residual], o.shape, (ctx, out) => [gateResidualReluInPlaceProgram(ctx.scope, out, ctx.tensor(gate), ctx.tensor(residual))], 0);
  }

  /** In place on o: ReLU(o + residual). */
  addRelu(o: Value, residual: Value, name: string): Value {
    return this.node(name, [o, residual], o.shape, (ctx, out) => [addProgram(ctx.scope, out, ctx.tensor(residual), out, true)], 0);
  }

  /** In place: ReLU(x · s[0] · factor) with a learned scalar s. */
  scaleRelu(input: Value, s: Tensor, factor: number, name: string): Value {
    return this.node(name, [input], input.shape, (ctx, out) => [scaleProgram(ctx.scope, out, s, out, factor, true)], 0);
  }
}
