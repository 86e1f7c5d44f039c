import type { Value } from '../graph/graph';
import { INACTIVE_INDEX } from '../ops/active-lists';

/**
 * A debug tap: one named tensor of the reference's golden files (tools/reference/README.md), as a
 * view into a graph value: `rows` rows of `rowLength` elements from element `offset`, of which
 * columns [first, first + count) are kept, shaped NHWC `shape`. `mask` reads a compaction map
 * (u32) as the 0/1 mask of its active pixels.
 */
export interface Tap {
  readonly value: Value;
  readonly offset: number;
  readonly rows: number;
  readonly rowLength: number;
  readonly columns?: { readonly first: number; readonly count: number };
  readonly shape: readonly number[];
  readonly kind?: 'f32' | 'mask';
}

export type Taps = Map<string, Tap>;

/** The tap's tensor, from the bytes of its whole value. */
export function readTap(bytes: ArrayBuffer, tap: Tap): Float32Array {
  const width = tap.columns?.count ?? tap.rowLength;
  const first = tap.columns?.first ?? 0;
  const out = new Float32Array(tap.rows * width);
  const view = tap.kind === 'mask' ? new Uint32Array(bytes) : new Float32Array(bytes);
  for (let r = 0; r < tap.rows; r++) {
    const base = tap.offset + r * tap.rowLength + first;
    for (let j = 0; j < width; j++) {
      const v = view[base + j]!;
      out[r * width + j] = tap.kind === 'mask' ? (v === INACTIVE_INDEX ? 0 : 1) : v;
    }
  }
  return out;
}
