import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { ActiveListsLayout } from './active-lists';
import { headCompactProgram } from './head-compact';
import { headEpilogueProgram } from './head-epilogue';
import { headGateProgram, levelMask, type GateActivation } from './head-gate';
import { packedConvProgram, type PackedConvRows } from './packed-conv';
import type { PackedLevels } from './packed-levels';
import { segmentStatsPartials, segmentStatsPrograms, segmentTableData, type SegmentTable } from './segment-stats';
import type { Tensor } from './tensor';

/**
 * The depth part of a router (spec §4.2, DynamicBottleneck) over the packed head, both towers
 * and every level at once, in place of the scale part's output y:
 *   dynamic: depth gate → one compaction (dilated and gate lists, their segment tables, counts
 *            and indirect arguments) → conv1 at the dilated rows → its GroupNorm statistics per
 *            (tower, level) over those rows → conv2 at the gate rows, reading conv1's rows
 *            normalised + ReLU'd on load → its statistics → y ← ReLU(GN(o) · g + y).
 *   fixed:   the same with every pixel active: dense convs, statistics over all pixels,
 *            y ← ReLU(GN(o) + y).
 * 9 dispatches (4 indirect) dynamic, 7 fixed. With the dense fallback (count above the
 * crossover, decided by the compaction on the GPU) the same dispatches cover every pixel.
 */
export interface DepthPartArgs {
  readonly levels: PackedLevels;
  /** The scale part's output [T, R, C], overwritten with the router's output. */
  readonly y: Tensor;
  /** Dynamic head: the depth gate and the compaction. */
  readonly dynamic?: {
    readonly gateWeights: Tensor;
    readonly gateBias: Tensor;
    /** [1, T, R] ← the depth gate. */
    readonly gate: Tensor;
    readonly logits?: Tensor;
    readonly activation: GateActivation;
    readonly tau: number;
    /** The scale paths' gates [2, T, R], counted per segment for reporting. */
    readonly scaleGates?: Tensor;
    /** u32 [layout.words] ← the compaction's lists (INDIRECT usage). */
    readonly lists: Tensor;
    readonly layout: ActiveListsLayout;
    readonly crossover: number;
  };
  readonly conv1: { readonly weights: Tensor; readonly norm: Tensor };
  readonly conv2: { readonly weights: Tensor; readonly norm: Tensor };
  readonly groups: number;
  readonly eps: number;
  readonly scratch: DepthPartScratch;
}

export interface DepthPartScratch {
  /** conv1's and conv2's rows [T·R, C] (compact rows, or pixels when dense). */
  readonly h: Tensor;
  readonly o: Tensor;
  /** Folded GroupNorms [S, 3, C]. */
  readonly affine1: Tensor;
  readonly affine2: Tensor;
  readonly partials1: Tensor;
  readonly partials2: Tensor;
}

/** Shapes of the depth part's workspace tensors. */
export function depthPartScratch(levels: PackedLevels, channels: number, groups: number): Record<keyof DepthPartScratch, number[]> {
  const rows = [levels.totalRows, channels];
  const affine = [levels.segments, 3, channels];
  const partials = [segmentStatsPartials({ maxRows: levels.totalRows, segments: levels.segments }, groups), 4];
  return { h: rows, o: rows, affine1: affine, affine2: affine, partials1: partials, partials2: [...partials] };
}

/** Every pixel of every (tower, level) segment: the fixed head's (and the FCOS towers') GroupNorm table. */
export function allPixels(scope: BufferScope, levels: PackedLevels): SegmentTable {
  const segments = Array.from({ length: levels.segments }, (_, s) => {
    const l = s % levels.levels;
    return { start: Math.floor(s / levels.levels) * levels.rows + levels.offsets[l]!, count: levels.pixels(l) };
  });
  return { buffer: scope.upload(segmentTableData(segments), 'all-pixel segments'), meta: 0, segments: segments.length, maxRows: levels.totalRows };
}

export function depthPartPrograms(scope: BufferScope, args: DepthPartArgs): KernelProgram[] {
  const { levels, dynamic: dyn, scratch, groups, eps } = args;
  const c = args.y.shape[2]!;
  const asPacked = (t: Tensor): Tensor => ({ buffer: t.buffer, shape: [levels.towers, levels.rows, c] });
  const stats = (values: Tensor, table: SegmentTable, norm: Tensor, affine: Tensor, partials: Tensor, slot?: 'dilatedStats' | 'gateStats') =>
    segmentStatsPrograms(scope, {
      values,
      table,
      groups,
      eps,
      norm,
      segmentsPerSet: levels.levels,
      affine,
      partials,
      partialDispatch: slot && dyn ? dyn.layout.indirect(dyn.lists.buffer, slot) : undefined,
    });
  if (!dyn) {
    const table = allPixels(scope, levels);
    return [
      packedConvProgram(scope, { levels, input: { kind: 'plain', tensor: args.y }, weights: args.conv1.weights, rows: { mode: 'all' }, placement: 'pixel', out: asPacked(scratch.h) }),
      ...stats(scratch.h, table, args.conv1.norm, scratch.affine1, scratch.partials1),
      packedConvProgram(scope, {
        levels,
        input: { kind: 'normalised', tensor: scratch.h, affine: scratch.affine1, map: 'identity' },
        weights: args.conv2.weights,
        rows: { mode: 'all' },
        placement: 'pixel',
        out: asPacked(scratch.o),
      }),
      ...stats(scratch.o, table, args.conv2.norm, scratch.affine2, scratch.partials2),
      headEpilogueProgram(scope, { levels, conv: scratch.o, affine: scratch.affine2, y: args.y }),
    ];
  }
  const { layout, lists } = dyn;
  const rows = (list: 'dilated' | 'gate'): PackedConvRows => ({ mode: 'list', lists, layout, list, dispatch: layout.indirect(lists.buffer, list === 'dilated' ? 'dilatedConv' : 'gateConv') });
  return [
    headGateProgram(scope, {
      levels,
      input: args.y,
      weights: dyn.gateWeights,
      bias: dyn.gateBias,
      consumed: [levelMask(levels.levels)],
      gate: dyn.gate,
      logits: dyn.logits,
      activation: dyn.activation,
      tau: dyn.tau,
    }),
    headCompactProgram(scope, { levels, gate: dyn.gate, scaleGates: dyn.scaleGates, lists, crossover: dyn.crossover, convChannels: c, groups }),
    packedConvProgram(scope, { levels, input: { kind: 'plain', tensor: args.y }, weights: args.conv1.weights, rows: rows('dilated'), placement: 'compact', out: scratch.h }),
    ...stats(scratch.h, layout.segmentTable(lists.buffer, 'dilated'), args.conv1.norm, scratch.affine1, scratch.partials1, 'dilatedStats'),
    packedConvProgram(scope, {
      levels,
      input: { kind: 'normalised', tensor: scratch.h, affine: scratch.affine1, map: { lists, layout, list: 'dilated' } },
      weights: args.conv2.weights,
      rows: rows('gate'),
      placement: 'compact',
      out: scratch.o,
    }),
    ...stats(scratch.o, layout.segmentTable(lists.buffer, 'gate'), args.conv2.norm, scratch.affine2, scratch.partials2, 'gateStats'),
    headEpilogueProgram(scope, { levels, conv: scratch.o, affine: scratch.affine2, gated: { gate: dyn.gate, lists, layout }, y: args.y }),
  ];
}
