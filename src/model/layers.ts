import { InvalidArgumentError, WeightsFormatError } from '../errors';
import type { Graph, Stage, Value } from '../graph/graph';
import { conv2dProgram, convOutputSize } from '../ops/conv2d';
import { depthwiseConv3x3Program } from '../ops/depthwise-conv';
import {
  addProgram,
  axpbyInPlaceProgram,
  gateResidualReluInPlaceProgram,
  mulGateProgram,
  reluProgram,
  scaleProgram,
} from '../ops/elementwise';
import { groupNormPrograms } from '../ops/group-norm';
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
    const out = this.graph.value(name, [n, maxPool3x3OutputSize(h, stride), maxPool3x3OutputSize(w, stride), c]);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [input],
      outputs: [out],
      build: (ctx) => [maxPool3x3Program(ctx.scope, ctx.tensor(input), ctx.tensor(out), stride)],
    });
    return out;
  }

  /** out = lateral + nearest ×2 upsample of top, written in place of `lateral`. */
  upsampleAdd(lateral: Value, top: Value, name: string): Value {
    const out = this.graph.value(name, lateral.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [lateral, top],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [nearestUp2AddProgram(ctx.scope, ctx.tensor(lateral), ctx.tensor(top), ctx.tensor(out))],
    });
    return out;
  }

  /** ReLU into a new value (P7 reads ReLU(P6) while P6 itself stays an output). */
  relu(input: Value, name: string): Value {
    const out = this.graph.value(name, input.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [input],
      outputs: [out],
      build: (ctx) => [reluProgram(ctx.scope, ctx.tensor(input), ctx.tensor(out))],
    });
    return out;
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
    const out = this.graph.value(name, input.shape);
    const weights = this.weight(`${prefix}.weight`);
    const bias = this.weight(`${prefix}.bias`);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [input],
      outputs: [out],
      build: (ctx) => [depthwiseConv3x3Program(ctx.scope, ctx.tensor(input), weights, bias, ctx.tensor(out))],
    });
    return out;
  }

  /**
   * GroupNorm in place, statistics over all pixels or only where `mask` > 0 (then inactive pixels
   * are written as 0 — the official masked inference's scatter into zeros).
   */
  groupNorm(prefix: string, input: Value, groups: number, eps: number, options: { relu?: boolean; mask?: Value } = {}): Value {
    const out = this.graph.value(`${input.name}.gn`, input.shape);
    const gamma = this.weight(`${prefix}.weight`);
    const beta = this.weight(`${prefix}.bias`);
    const mask = options.mask;
    this.graph.add({
      name: `${prefix} (GroupNorm)`,
      stage: this.stage,
      inputs: mask ? [input, mask] : [input],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) =>
        groupNormPrograms(ctx.scope, ctx.tensor(input), gamma, beta, ctx.tensor(out), {
          groups,
          eps,
          relu: options.relu,
          pixels: mask ? { mode: 'mask', mask: ctx.tensor(mask) } : { mode: 'dense' },
        }).programs,
    });
    return out;
  }

  /** In place: x · gate (per pixel). */
  mulGate(input: Value, gate: Value): Value {
    const out = this.graph.value(`${input.name}.gated`, input.shape);
    this.graph.add({
      name: `${input.name} × gate`,
      stage: this.stage,
      inputs: [input, gate],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [mulGateProgram(ctx.scope, ctx.tensor(input), ctx.tensor(gate), ctx.tensor(out))],
    });
    return out;
  }

  /** Bilinear (align_corners=True) resize of `source` into a new value or accumulated into `into`. */
  resize(source: Value, shape: readonly number[], name: string, into?: Value): Value {
    if (into && into.shape.some((d, i) => d !== shape[i])) throw new InvalidArgumentError('into', 'shape mismatch');
    const out = this.graph.value(name, shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: into ? [source, into] : [source],
      outputs: [out],
      inPlace: into ? [[0, 1]] : undefined,
      build: (ctx) => [bilinearResizeProgram(ctx.scope, ctx.tensor(source), ctx.tensor(out), { accumulate: into !== undefined })],
    });
    return out;
  }

  /** In place on acc: acc · sa + b · sb with learned scalars. */
  axpby(acc: Value, sa: Tensor, b: Value, sb: Tensor, name: string): Value {
    const out = this.graph.value(name, acc.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [acc, b],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [axpbyInPlaceProgram(ctx.scope, ctx.tensor(out), sa, ctx.tensor(b), sb)],
    });
    return out;
  }

  /** In place on o: ReLU(o · gate + residual). */
  gateResidualRelu(o: Value, gate: Value, residual: Value, name: string): Value {
    const out = this.graph.value(name, o.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [o, gate, residual],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [gateResidualReluInPlaceProgram(ctx.scope, ctx.tensor(out), ctx.tensor(gate), ctx.tensor(residual))],
    });
    return out;
  }

  /** In place on o: ReLU(o + residual). */
  addRelu(o: Value, residual: Value, name: string): Value {
    const out = this.graph.value(name, o.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [o, residual],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [addProgram(ctx.scope, ctx.tensor(out), ctx.tensor(residual), ctx.tensor(out), true)],
    });
    return out;
  }

  /** In place: ReLU(x · s[0] · factor) with a learned scalar s. */
  scaleRelu(input: Value, s: Tensor, factor: number, name: string): Value {
    const out = this.graph.value(name, input.shape);
    this.graph.add({
      name,
      stage: this.stage,
      inputs: [input],
      outputs: [out],
      inPlace: [[0, 0]],
      build: (ctx) => [scaleProgram(ctx.scope, ctx.tensor(out), s, ctx.tensor(out), factor, true)],
    });
    return out;
  }
}
