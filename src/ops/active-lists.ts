import type { IndirectDispatch } from '../gpu/kernel';
import type { PackedLevels } from './packed-levels';
import { segmentTableWords, type SegmentTable } from './segment-stats';

/** index_map value of an inactive pixel. */
export const INACTIVE_INDEX = 0xffffffff;

/** The two row lists one router's compaction builds. */
export type ActiveList = 'dilated' | 'gate';
export const ACTIVE_LISTS: readonly ActiveList[] = ['dilated', 'gate'];

/**
 * The u32 buffer one router's compaction (head-compact.wgsl) writes, by name. For each list —
 * `dilated` (the 3×3-dilated gate mask, conv1's rows) and `gate` (g > 0, conv2's rows):
 * - `meta`: a segment table (segment-stats.ts) in the consumer's row space: [dense, rows, (start,
 *   count) × S]. Sparse: compact rows in ascending packed order, segment (t, l) at its start.
 *   Dense fallback (active count above the crossover): every pixel is a row (row = packed pixel).
 * - `active`: the true active-pixel count of every segment (reporting: densities, executed MACs).
 * - `rows`: packed pixel of each compact row (sparse only); `map`: pixel → row, or INACTIVE_INDEX.
 * And `scaleActive`: the active counts of the two scale-path gates per segment (reporting).
 * The first 12 words are indirect dispatch arguments, one slot per consumer (`args`).
 */
export class ActiveListsLayout {
  /** Word offsets of the indirect arguments (3 words each). */
  static readonly args = { dilatedConv: 0, dilatedStats: 3, gateConv: 6, gateStats: 9 } as const;
  readonly meta: Readonly<Record<ActiveList, number>>;
  readonly active: Readonly<Record<ActiveList, number>>;
  readonly scaleActive: readonly [number, number];
  readonly rows: Readonly<Record<ActiveList, number>>;
  readonly map: Readonly<Record<ActiveList, number>>;
  readonly words: number;

  constructor(readonly levels: PackedLevels) {
    const s = levels.segments;
    const table = segmentTableWords(s);
    let at = 12;
    const take = (n: number) => {
      const here = at;
      at += n;
      return here;
    };
    this.meta = { dilated: take(table), gate: take(table) };
    this.active = { dilated: take(s), gate: take(s) };
    this.scaleActive = [take(s), take(s)];
    // Row lists start on a 16-word boundary (64 bytes), which keeps tap slices aligned.
    at = Math.ceil(at / 16) * 16;
    const n = levels.totalRows;
    this.rows = { dilated: take(n), gate: take(n) };
    this.map = { dilated: take(n), gate: take(n) };
    this.words = at;
  }

  /** The segment table of one list, for the statistics over its rows. */
  segmentTable(buffer: GPUBuffer, list: ActiveList): SegmentTable {
    return { buffer, meta: this.meta[list], segments: this.levels.segments, maxRows: this.levels.totalRows, map: this.map[list] };
  }

  indirect(buffer: GPUBuffer, slot: keyof typeof ActiveListsLayout.args): IndirectDispatch {
    return { indirect: buffer, offset: ActiveListsLayout.args[slot] * 4 };
  }
}
