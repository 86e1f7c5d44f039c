import type { Value } from '../graph/graph';
import { compactPrograms, type ActiveSet } from '../ops/compact';
import { gateMaskProgram } from '../ops/mask';
import { sumPrograms } from '../ops/reduce';
import { sparseConvBlockPrograms, type SparseEpilogue } from '../ops/sparse-conv';
import { scalePathPrograms } from '../ops/sparse-depthwise';
import type { Tensor } from '../ops/tensor';
import type { LayerBuilder } from './layers';

/**
 * Graph layers of the gather–scatter execution (issue: compute only where gates are on). The
 * active-pixel lists live in planned memory; the counts stay on the GPU (they size indirect
 * dispatches) and are registered as probes so a run can report densities and executed MACs.
 */

/** An active-pixel set in the graph: planned `rows`/`map`, a node-owned count. */
export interface ActiveHandle {
  readonly mask: Value;
  readonly rows: Value;
  readonly map: Value;
  /** Filled when the compaction node is built (nodes are built in order). */
  count?: Tensor;
}

/** 0/1 masks of a gate map: the gate mask (g > 0) and/or the 3×3-dilated mask. */
export function gateMasks(layers: LayerBuilder, gate: Value, name: string): { mask: Value; dilated: Value } {
  const mask = layers.graph.value(`${name}.mask`, gate.shape);
  const dilated = layers.graph.value(`${name}.mask_dilated`, gate.shape);
  layers.graph.add({
    name: `${name} masks`,
    stage: layers.stage,
    inputs: [gate],
    outputs: [mask, dilated],
    build: (ctx) => [gateMaskProgram(ctx.scope, { gate: ctx.tensor(gate), mask: ctx.tensor(mask), dilated: ctx.tensor(dilated) })],
  });
  return { mask, dilated };
}

/** Counts a map's positive pixels on the GPU (probe `<probe>`, f32) without compacting them. */
export function countGate(layers: LayerBuilder, gate: Value, probe: string): void {
  layers.graph.add({
    name: `${probe} count`,
    stage: layers.stage,
    inputs: [gate],
    outputs: [],
    build: (ctx) => {
      const count = sumPrograms(ctx.scope, ctx.tensor(gate), { positive: true });
      ctx.probe(probe, count.result.buffer, 'f32');
      return count.programs;
    },
  });
}

/** Compacts a 0/1 mask into its ascending active-pixel list (probe `<probe>`: u32 count). */
export function compact(layers: LayerBuilder, mask: Value, probe: string): ActiveHandle {
  const pixels = mask.shape.reduce((a, b) => a * b, 1);
  const handle: ActiveHandle = {
    mask,
    rows: layers.graph.value(`${probe}.rows`, [pixels]),
    map: layers.graph.value(`${probe}.map`, [pixels]),
  };
  layers.graph.add({
    name: `${probe} compaction`,
    stage: layers.stage,
    inputs: [mask],
    outputs: [handle.rows, handle.map],
    build: (ctx) => {
      const count: Tensor = { buffer: ctx.scope.storage(4, `${probe} count`), shape: [1] };
      handle.count = count;
      ctx.probe(probe, count.buffer, 'u32');
      return compactPrograms(ctx.scope, ctx.tensor(mask), { rows: ctx.tensor(handle.rows), count, map: ctx.tensor(handle.map) }).programs;
    },
  });
  return handle;
}

/**
 * A masked 3×3 conv (no bias) + GroupNorm over the active pixels + epilogue, computed only at the
 * active pixels (or dense when the active fraction is above `crossover`, decided on the GPU).
 */
export function sparseConv(
  layers: LayerBuilder,
  prefix: string,
  input: Value,
  active: ActiveHandle,
  epilogue: { kind: 'relu' } | { kind: 'gated-residual'; gate: Value; residual: Value },
  options: { groups: number; eps: number; crossover: number; name: string },
): Value {
  const weights = layers.weight(`${prefix}.weight`);
  const gamma = layers.weight(`${prefix}.norm.weight`);
  const beta = layers.weight(`${prefix}.norm.bias`);
  const [n, h, w] = input.shape as [number, number, number, number];
  const cout = weights.shape[3]!;
  const out = layers.graph.value(options.name, [n, h, w, cout]);
  const scratch = layers.graph.value(`${options.name}.scratch`, [h * w, cout]);
  const extra = epilogue.kind === 'gated-residual' ? [epilogue.gate, epilogue.residual] : [];
  layers.graph.add({
    name: options.name,
    stage: layers.stage,
    inputs: [input, active.mask, active.rows, active.map, ...extra],
    outputs: [out, scratch],
    build: (ctx) => {
      const set: ActiveSet = {
        mask: ctx.tensor(active.mask),
        rows: ctx.tensor(active.rows),
        count: active.count!,
        indexMap: ctx.tensor(active.map),
      };
      const tail: SparseEpilogue =
        epilogue.kind === 'relu'
          ? { kind: 'relu' }
          : { kind: 'gated-residual', gate: ctx.tensor(epilogue.gate), residual: ctx.tensor(epilogue.residual) };
      return sparseConvBlockPrograms(ctx.scope, {
        input: ctx.tensor(input),
        weights,
        gamma,
        beta,
        groups: options.groups,
        eps: options.eps,
        strategy: { mode: 'auto', active: set, crossover: options.crossover },
        epilogue: tail,
        out: ctx.tensor(out),
        scratch: ctx.tensor(scratch),
      }).programs;
    },
  });
  return out;
}

/** The exact scale path, fused: depthwise → GroupNorm (all pixels) → × gate. */
export function scalePath(layers: LayerBuilder, prefix: string, source: Value, gate: Value, options: { groups: number; eps: number; name: string }): Value {
  const out = layers.graph.value(options.name, source.shape);
  const scratch = layers.graph.value(`${options.name}.dw`, source.shape);
  const weights = layers.weight(`${prefix}.convs.0.weight`);
  const bias = layers.weight(`${prefix}.convs.0.bias`);
  const gamma = layers.weight(`${prefix}.convs.1.weight`);
  const beta = layers.weight(`${prefix}.convs.1.bias`);
  layers.graph.add({
    name: options.name,
    stage: layers.stage,
    inputs: [source, gate],
    outputs: [out, scratch],
    build: (ctx) =>
      scalePathPrograms(ctx.scope, {
        input: ctx.tensor(source),
        weights,
        bias,
        gamma,
        beta,
        groups: options.groups,
        eps: options.eps,
        gate: ctx.tensor(gate),
        out: ctx.tensor(out),
        scratch: ctx.tensor(scratch),
      }),
  });
  return out;
}
