import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, type KernelProgram } from '../gpu/kernel';
import { quadLanes } from './quad-lanes';
import { ScalePathRows } from './head-depthwise';
import { levelTable, MAX_PACKED_LEVELS, requirePacked, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/** PyTorch's align_corners=True scale for one axis: (in − 1) / (out − 1) in float, 0 for out = 1. */
export function alignCornersScale(inSize: number, outSize: number): number {
  return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
}

/** Segments of the scale part's statistics: (path s, tower t, source level) → one segment each. */
export function scaleSegment(levels: PackedLevels, path: 0 | 1, tower: number, sourceLevel: number): number {
  return (path * levels.towers + tower) * (levels.levels - 1) + sourceLevel - path;
}

/** The scale part's segment table (in head-depthwise's row layout), in segment order. */
export function scaleSegments(levels: PackedLevels): { start: number; count: number }[] {
  const rows = new ScalePathRows(levels);
  const out: { start: number; count: number }[] = [];
  for (const path of [0, 1] as const) {
    for (let t = 0; t < levels.towers; t++) {
      for (const l of rows.sourceLevels(path)) out.push({ start: rows.row(path, t, levels.offsets[l]!), count: levels.pixels(l) });
    }
  }
  return out;
}

const SLOTS = { params: 0, levels: 1, x: 2, d: 3, gates: 4, affine: 5, weights: 6, out: 7 } as const;

/**
 * Channel quads one lane of scale-fuse.wgsl computes on a GPU: 4 when C / 4 allows, so a row's
 * bookkeeping is shared by 4 quads, else 2 or 1 (a CPU adapter does all of a row's quads in one).
 */
export function quadsPerThread(quads: number): 1 | 2 | 4 {
  return quads % 4 === 0 ? 4 : quads % 2 === 0 ? 2 : 1;
}

export interface ScaleFuseArgs {
  readonly levels: PackedLevels;
  /** The router's input, packed [T, R, C] or [1, R, C] shared. */
  readonly input: Tensor;
  /** Both paths' depthwise outputs [ScalePathRows.total, C]. */
  readonly depthwise: Tensor;
  /** [2, T, R] scale-path gates (omit for a fixed head). */
  readonly gates?: Tensor;
  /** [2·T·(L − 1), 3, C]: folded GroupNorm of every scale segment (scaleSegment order). */
  readonly affine: Tensor;
  /** [2, T]: scale_weight per tower, then output_weight per tower. */
  readonly weights: Tensor;
  /** [T, R, C] ← the scale part's output y. */
  readonly out: Tensor;
}

/** normalise · gate → bilinear to the neighbouring level → Σ → axpby, in one dispatch (scale-fuse.wgsl). */
export function scaleFuseProgram(scope: BufferScope, args: ScaleFuseArgs): KernelProgram {
  const { levels } = args;
  const towers = levels.towers;
  const shared = args.input.shape[0] === 1 && towers > 1;
  const c = requirePacked('input', args.input, levels, shared ? 1 : towers);
  if (c % 4 !== 0) throw new InvalidArgumentError('input', `the head's channel count must be a multiple of 4, got ${c}`);
  const rows = new ScalePathRows(levels);
  requireShape('depthwise', args.depthwise, [rows.total, c]);
  if (args.gates) requireShape('gates', args.gates, [2, towers, levels.rows]);
  requireShape('affine', args.affine, [2 * towers * (levels.levels - 1), 3, c]);
  requireShape('weights', args.weights, [2, towers]);
  requirePacked('out', args.out, levels, towers, c);
  if ([args.input, args.depthwise, args.gates, args.affine, args.weights].some((t) => t?.buffer === args.out.buffer)) {
    throw new InvalidArgumentError('out', 'must not share its buffer with an input');
  }
  const split = quadLanes(c / 4 / quadsPerThread(c / 4), levels.totalRows);
  const table = (f: (l: number) => number) => Array.from({ length: MAX_PACKED_LEVELS }, (_, l) => (l < levels.levels ? f(l) : 0));
  const [hs, ws] = [(l: number) => levels.sizes[l]![0], (l: number) => levels.sizes[l]![1]];
  const last = levels.levels - 1;
  const params = scope.uniform(
    new UniformWriter()
      .u32(c / 4, shared ? 0 : levels.rows, rows.span(0), rows.span(1), rows.lo[1], 0, 0, 0)
      .f32(...table((l) => (l > 0 ? alignCornersScale(hs(l - 1), hs(l)) : 0)))
      .f32(...table((l) => (l > 0 ? alignCornersScale(ws(l - 1), ws(l)) : 0)))
      .f32(...table((l) => (l < last ? alignCornersScale(hs(l + 1), hs(l)) : 0)))
      .f32(...table((l) => (l < last ? alignCornersScale(ws(l + 1), ws(l)) : 0)))
      .bytes(),
    'scale fuse params',
  );
  return {
    label: `scale fuse (${args.gates ? 'gated' : 'fixed'}) C ${c}`,
    shader: 'scale-fuse',
    constants: { FIXED: args.gates ? 0 : 1, ...split.constants },
    bindings: bindSlots(SLOTS, {
      params,
      levels: levelTable(scope, levels),
      x: args.input.buffer,
      d: args.depthwise.buffer,
      gates: args.gates?.buffer ?? scope.storage(16, 'scale fuse: no gates'),
      affine: args.affine.buffer,
      weights: args.weights.buffer,
      out: args.out.buffer,
    }),
    dispatch: split.dispatch,
  };
}
