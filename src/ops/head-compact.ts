import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, type KernelProgram } from '../gpu/kernel';
import { ActiveListsLayout } from './active-lists';
import { CONV2D_INDEXED_TILE_ROWS, conv2dTileCols } from './conv2d';
import { levelTable, type PackedLevels } from './packed-levels';
import { SEGMENT_STATS_CHUNK_ROWS, segmentStatsLanes } from './segment-stats';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/** Segments one compaction handles (shaders/head-compact.wgsl: 2 towers × 8 levels). */
export const MAX_COMPACT_SEGMENTS = 16;

const SLOTS = { params: 0, levels: 1, gate: 2, scaleGates: 3, lists: 4 } as const;

export interface HeadCompactArgs {
  readonly levels: PackedLevels;
  /** The depth gate [1, T, R] (head-gate's layout for one gate). */
  readonly gate: Tensor;
  /** The scale paths' gates [2, T, R], counted per segment for reporting (optional). */
  readonly scaleGates?: Tensor;
  /** u32 [ActiveListsLayout.words]: the lists, maps, segment tables, counts and arguments. */
  readonly lists: Tensor;
  /** Largest active fraction of all pixels that still runs sparse (per list); above it, dense. */
  readonly crossover: number;
  /** Output channels of the conv consumers (sizes their indirect arguments). */
  readonly convChannels: number;
  /** GroupNorm groups of the statistics consumers. */
  readonly groups: number;
}

/** The row count up to which a list stays sparse: floor(fraction · pixels), clamped. */
export function sparseLimitFor(fraction: number, pixels: number): number {
  if (!Number.isFinite(fraction)) throw new InvalidArgumentError('crossover', `expected a finite number, got ${fraction}`);
  return Math.max(0, Math.min(pixels, Math.floor(fraction * pixels)));
}

/** One router's compaction of both towers and every level, in one dispatch (head-compact.wgsl). */
export function headCompactProgram(scope: BufferScope, args: HeadCompactArgs): KernelProgram {
  const { levels } = args;
  if (levels.segments > MAX_COMPACT_SEGMENTS) {
    throw new InvalidArgumentError('levels', `${levels.segments} (tower, level) segments exceed ${MAX_COMPACT_SEGMENTS}`);
  }
  const layout = new ActiveListsLayout(levels);
  requireShape('gate', args.gate, [1, levels.towers, levels.rows]);
  if (args.scaleGates) requireShape('scaleGates', args.scaleGates, [2, levels.towers, levels.rows]);
  requireShape('lists', args.lists, [layout.words]);
  if (!(args.crossover >= 0 && args.crossover <= 1)) throw new InvalidArgumentError('crossover', `expected a fraction in [0, 1], got ${args.crossover}`);
  const limit = sparseLimitFor(args.crossover, levels.totalRows);
  if (Math.ceil(levels.rows / CONV2D_INDEXED_TILE_ROWS) > 65535) throw new InvalidArgumentError('levels', `${levels.rows} rows per tower need more than 65535 conv row tiles`);
  const params = scope.uniform(
    new UniformWriter()
      .u32(limit, limit, Math.ceil(args.convChannels / conv2dTileCols(args.convChannels)), CONV2D_INDEXED_TILE_ROWS)
      .u32(segmentStatsLanes(args.convChannels, args.groups), SEGMENT_STATS_CHUNK_ROWS, layout.scaleActive[0], layout.scaleActive[1])
      .u32(layout.meta.dilated, layout.meta.gate, layout.active.dilated, layout.active.gate)
      .u32(layout.rows.dilated, layout.rows.gate, layout.map.dilated, layout.map.gate)
      .bytes(),
    'head compact params',
  );
  return {
    label: `head compaction (${levels.segments} segments, ${levels.totalRows} pixels)`,
    shader: 'head-compact',
    constants: { HAS_SCALE_GATES: args.scaleGates ? 1 : 0 },
    bindings: bindSlots(SLOTS, {
      params,
      levels: levelTable(scope, levels),
      gate: args.gate.buffer,
      scaleGates: args.scaleGates?.buffer ?? scope.storage(16, 'head compact: no scale gates'),
      lists: args.lists.buffer,
    }),
    dispatch: [1, 1, 1],
  };
}
