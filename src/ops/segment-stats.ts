import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, workgroups1D, type Dispatch, type KernelProgram } from '../gpu/kernel';
import type { Tensor } from './tensor';
import { requireFinite, requireInteger, requireShape } from './validate';

/**
 * Bindings for `shaders/segment-stats.wgsl`: GroupNorm statistics of each segment of a row
 * tensor (a (tower, level) pair of the packed head, or a (path, tower, level) triple of the scale
 * part), folded with the segment's affine into the per-channel (mean, inv_std·γ, β) its consumers
 * normalise with.
 */

/** Rows one thread reduces (per group) in the partial pass. */
export const SEGMENT_STATS_CHUNK_ROWS = 16;
/** Threads per workgroup of both passes. */
const THREADS = 64;

/** Words of a segment table with S segments: [dense, rows_total, (start, count) × S]. */
export function segmentTableWords(segments: number): number {
  return 2 + 2 * segments;
}

/** A segment table in a u32 buffer (fixed, or written by the head's compaction). */
export interface SegmentTable {
  readonly buffer: GPUBuffer;
  /** Word offset of the table. */
  readonly meta: number;
  readonly segments: number;
  /** Most rows the table can describe (sizes the partials and the fixed dispatch). */
  readonly maxRows: number;
  /** Word offset of the pixel → row map that marks active pixels when the table says dense. */
  readonly map?: number;
}

/** The words of a fixed segment table (dense = 0). */
export function segmentTableData(segments: readonly { readonly start: number; readonly count: number }[]): Uint32Array {
  const words = new Uint32Array(segmentTableWords(segments.length));
  let last = 0;
  segments.forEach((s, i) => {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.count) || s.start < last || s.count < 0) {
      throw new InvalidArgumentError('segments', `segment ${i} (${s.start}, ${s.count}) is not in ascending, non-overlapping order`);
    }
    words[2 + 2 * i] = s.start;
    words[3 + 2 * i] = s.count;
    last = s.start + s.count;
  });
  words[1] = last;
  return words;
}

/** Partial-pass threads per chunk of rows: one per group, or per 4 groups of one channel each. */
export function segmentStatsLanes(channels: number, groups: number): number {
  return groups / groupsPerQuad(channels, groups);
}

/** One or two channels per group and C % 4 == 0: a partial-pass thread does a channel quad's 4 or 2 groups. */
function groupsPerQuad(channels: number, groups: number): 1 | 2 | 4 {
  if (channels % 4 !== 0) return 1;
  return channels === groups ? 4 : channels === 2 * groups ? 2 : 1;
}

/** Partial-pass workgroups for `rows` rows of `channels` in `groups` groups (what the compaction writes too). */
export function segmentStatsWorkgroups(rows: number, channels: number, groups: number): number {
  return Math.ceil((Math.ceil(rows / SEGMENT_STATS_CHUNK_ROWS) * segmentStatsLanes(channels, groups)) / THREADS);
}

/** Elements (vec4) of the partials workspace for a table. */
export function segmentStatsPartials(table: Pick<SegmentTable, 'maxRows' | 'segments'>, groups: number): number {
  return (Math.ceil(table.maxRows / SEGMENT_STATS_CHUNK_ROWS) + table.segments) * groups;
}

export interface SegmentStatsArgs {
  /** [maxRows, C]. */
  readonly values: Tensor;
  readonly table: SegmentTable;
  readonly groups: number;
  readonly eps?: number;
  /** [sets, 2, C]: gamma then beta of each affine set; segment s uses set s / segmentsPerSet. */
  readonly norm: Tensor;
  readonly segmentsPerSet: number;
  /** [S, 3, C] ← (mean, inv_std·γ, β) per channel. */
  readonly affine: Tensor;
  /** Workspace [segmentStatsPartials(table, groups), 4]. */
  readonly partials: Tensor;
  /** The partial pass's indirect dispatch (rows from the GPU); default: sized for maxRows. */
  readonly partialDispatch?: Dispatch;
}

const SLOTS = { params: 0, x: 1, lists: 2, partials: 3, norm: 4, affine: 5 } as const;

/** The two passes (partial, then finalize), in dispatch order. */
export function segmentStatsPrograms(scope: BufferScope, args: SegmentStatsArgs): [KernelProgram, KernelProgram] {
  const { table, groups } = args;
  const [rows, c] = args.values.shape as [number, number];
  if (args.values.shape.length !== 2 || rows < table.maxRows) {
    throw new InvalidArgumentError('values', `expected [≥ ${table.maxRows}, C], got [${args.values.shape.join(', ')}]`);
  }
  requireInteger('groups', groups);
  if (c % groups !== 0) throw new InvalidArgumentError('groups', `${groups} groups do not divide ${c} channels`);
  requireInteger('segmentsPerSet', args.segmentsPerSet);
  const sets = Math.ceil(table.segments / args.segmentsPerSet);
  if (args.norm.shape[0]! < sets) throw new InvalidArgumentError('norm', `needs ${sets} affine sets, has ${args.norm.shape[0]}`);
  requireShape('norm', args.norm, [args.norm.shape[0]!, 2, c]);
  requireShape('affine', args.affine, [table.segments, 3, c]);
  requireShape('partials', args.partials, [segmentStatsPartials(table, groups), 4]);
  if (table.buffer.size < (table.meta + segmentTableWords(table.segments)) * 4) throw new InvalidArgumentError('table', 'the buffer is too small for the segment table');
  const eps = args.eps ?? 1e-5;
  requireFinite('eps', eps);
  if (eps < 0) throw new InvalidArgumentError('eps', `must be >= 0, got ${eps}`);
  const params = scope.uniform(
    new UniformWriter()
      .u32(c, groups, c / groups, SEGMENT_STATS_CHUNK_ROWS, table.segments, table.meta, table.map ?? 0, args.segmentsPerSet)
      .f32(eps)
      .u32(0, 0, 0)
      .bytes(),
    'segment stats params',
  );
  return [
    {
      label: `segment stats partial (${table.segments} segments, C ${c})`,
      shader: 'segment-stats',
      entryPoint: 'partial',
      constants: { GROUPS_PER_QUAD: groupsPerQuad(c, groups), VEC4_GROUP: (c / groups) % 4 === 0 ? 1 : 0 },
      bindings: bindSlots(SLOTS, { params, x: args.values.buffer, lists: table.buffer, partials: args.partials.buffer }),
      dispatch: args.partialDispatch ?? workgroups1D(segmentStatsWorkgroups(table.maxRows, c, groups)),
    },
    {
      label: `segment stats finalize (${table.segments} segments)`,
      shader: 'segment-stats',
      entryPoint: 'finalize',
      bindings: bindSlots(SLOTS, { params, lists: table.buffer, partials: args.partials.buffer, norm: args.norm.buffer, affine: args.affine.buffer }),
      dispatch: workgroups1D(Math.ceil((table.segments * groups) / THREADS)),
    },
  ];
}
