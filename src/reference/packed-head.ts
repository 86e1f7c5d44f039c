/**
 * CPU references for the packed head's kernels (head-gate, head-depthwise, segment-stats,
 * scale-fuse, head-compact, conv2d PACKED, head-epilogue), written from the definitions on
 * per-level maps in f64: each level of each tower is taken out of the packed layout, processed
 * on its own (so level borders are plain image borders), and put back. Weights are in the
 * kernels' layouts (tap-major [9][C] per filter, HWIO for convs).
 */
import { INACTIVE_INDEX, type ActiveListsLayout } from '../ops/active-lists';
import { ScalePathRows } from '../ops/head-depthwise';
import type { PackedLevels } from '../ops/packed-levels';
import { gateActivationRef, type GateActivationRef } from './gate-activation';

/** Packed row of (tower, level, y, x). */
function rowOf(levels: PackedLevels, tower: number, level: number, y: number, x: number): number {
  return tower * levels.rows + levels.offsets[level]! + y * levels.sizes[level]![1] + x;
}

/** Calls `f(tower, level, y, x, row)` for every packed row, in row order. */
export function forEachRow(levels: PackedLevels, f: (tower: number, level: number, y: number, x: number, row: number) => void): void {
  for (let t = 0; t < levels.towers; t++) {
    levels.sizes.forEach(([h, w], l) => {
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f(t, l, y, x, rowOf(levels, t, l, y, x));
    });
  }
}

/** The in-level 3×3 neighbours (dy, dx, row) of (t, l, y, x); padding taps are left out. */
function neighbours(levels: PackedLevels, t: number, l: number, y: number, x: number): { tap: number; row: number }[] {
  const [h, w] = levels.sizes[l]!;
  const out: { tap: number; row: number }[] = [];
  for (let tap = 0; tap < 9; tap++) {
    const yy = y + Math.floor(tap / 3) - 1;
    const xx = x + (tap % 3) - 1;
    if (yy >= 0 && xx >= 0 && yy < h && xx < w) out.push({ tap, row: rowOf(levels, t, l, yy, xx) });
  }
  return out;
}

/** Row of a tower's input: a shared one-tower input is read by every tower. */
const inputRow = (levels: PackedLevels, shared: boolean, row: number) => (shared ? row % levels.rows : row);

/** head-gate: gates and logits [G][T][R]. weights [T][G][9][C], bias [T][G]. */
export function headGateRef(
  levels: PackedLevels,
  input: Float32Array,
  shared: boolean,
  channels: number,
  weights: Float32Array,
  bias: Float32Array,
  consumed: readonly number[],
  activation: GateActivationRef,
  tau: number,
): { gate: Float32Array; logits: Float32Array } {
  const gates = consumed.length;
  const n = levels.totalRows;
  const gate = new Float32Array(gates * n);
  const logits = new Float32Array(gates * n);
  forEachRow(levels, (t, l, y, x, row) => {
    for (let g = 0; g < gates; g++) {
      if (!(consumed[g]! & (1 << l))) continue;
      let s = bias[t * gates + g]!;
      for (const nb of neighbours(levels, t, l, y, x)) {
        const xi = inputRow(levels, shared, nb.row) * channels;
        const wi = ((t * gates + g) * 9 + nb.tap) * channels;
        for (let c = 0; c < channels; c++) s += input[xi + c]! * weights[wi + c]!;
      }
      logits[g * n + row] = s;
      gate[g * n + row] = gateActivationRef(s, activation, tau);
    }
  });
  return { gate, logits };
}

/** head-depthwise: both paths at their source rows, in head-depthwise's row layout. */
export function headDepthwiseRef(
  levels: PackedLevels,
  input: Float32Array,
  shared: boolean,
  channels: number,
  weights: Float32Array,
  bias: Float32Array,
): Float32Array {
  const rows = new ScalePathRows(levels);
  const out = new Float32Array(rows.total * channels);
  forEachRow(levels, (t, l, y, x, row) => {
    const q = row - t * levels.rows;
    for (const s of [0, 1] as const) {
      if (!rows.sourceLevels(s).includes(l)) continue;
      const set = t * 2 + s;
      const o = rows.row(s, t, q) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = bias[set * channels + c]!;
        for (const nb of neighbours(levels, t, l, y, x)) acc += input[inputRow(levels, shared, nb.row) * channels + c]! * weights[(set * 9 + nb.tap) * channels + c]!;
        out[o + c] = acc;
      }
    }
  });
  return out;
}

/**
 * segment-stats: the folded affine [S][3][C] of each segment's rows (only `active(row)` ones),
 * biased variance, (0, 0) statistics for an empty segment. norm [sets][2][C].
 */
export function segmentStatsRef(
  values: Float32Array,
  channels: number,
  segments: readonly { readonly start: number; readonly count: number }[],
  groups: number,
  norm: Float32Array,
  segmentsPerSet: number,
  eps = 1e-5,
  active: (row: number) => boolean = () => true,
): Float32Array {
  const cg = channels / groups;
  const out = new Float32Array(segments.length * 3 * channels);
  segments.forEach(({ start, count }, s) => {
    const set = Math.floor(s / segmentsPerSet);
    for (let g = 0; g < groups; g++) {
      let n = 0;
      let sum = 0;
      for (let r = start; r < start + count; r++) {
        if (!active(r)) continue;
        for (let j = 0; j < cg; j++) sum += values[r * channels + g * cg + j]!;
        n += cg;
      }
      const mean = n ? sum / n : 0;
      let m2 = 0;
      for (let r = start; r < start + count; r++) {
        if (!active(r)) continue;
        for (let j = 0; j < cg; j++) m2 += (values[r * channels + g * cg + j]! - mean) ** 2;
      }
      const invStd = n ? 1 / Math.sqrt(m2 / n + eps) : 0;
      for (let j = 0; j < cg; j++) {
        const c = g * cg + j;
        out[(s * 3) * channels + c] = mean;
        out[(s * 3 + 1) * channels + c] = invStd * norm[(set * 2) * channels + c]!;
        out[(s * 3 + 2) * channels + c] = norm[(set * 2 + 1) * channels + c]!;
      }
    }
  });
  return out;
}

/** (v − mean) · scale + shift with a folded affine [S][3][C]. */
function normalised(affine: Float32Array, channels: number, segment: number, c: number, v: number): number {
  const a = segment * 3 * channels + c;
  return (v - affine[a]!) * affine[a + channels]! + affine[a + 2 * channels]!;
}

/** PyTorch bilinear, align_corners=True, of a one-channel accessor from (hs, ws) to (h, w) at (y, x). */
function alignCornersSample(at: (yy: number, xx: number) => number, hs: number, ws: number, h: number, w: number, y: number, x: number): number {
  const fy = h > 1 ? (y * (hs - 1)) / (h - 1) : 0;
  const fx = w > 1 ? (x * (ws - 1)) / (w - 1) : 0;
  const y0 = Math.min(Math.floor(fy), hs - 1);
  const x0 = Math.min(Math.floor(fx), ws - 1);
  const y1 = Math.min(y0 + 1, hs - 1);
  const x1 = Math.min(x0 + 1, ws - 1);
  const ly = fy - y0;
  const lx = fx - x0;
  const top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx;
  const bottom = at(y1, x0) * (1 - lx) + at(y1, x1) * lx;
  return top * (1 - ly) + bottom * ly;
}

/**
 * scale-fuse: y = Σ_s resize(GN_s(d_s) · g_s) · scale_weight[t] + x · output_weight[t].
 * affine in scaleSegment order; gates [2][T][R] (undefined: fixed head); weights [2][T].
 */
export function scaleFuseRef(
  levels: PackedLevels,
  input: Float32Array,
  shared: boolean,
  channels: number,
  depthwise: Float32Array,
  gates: Float32Array | undefined,
  affine: Float32Array,
  weights: Float32Array,
): Float32Array {
  const rows = new ScalePathRows(levels);
  const L = levels.levels;
  const n = levels.totalRows;
  const out = new Float32Array(n * channels);
  forEachRow(levels, (t, l, y, x, row) => {
    const [h, w] = levels.sizes[l]!;
    for (let c = 0; c < channels; c++) {
      let acc = 0;
      for (const s of [0, 1] as const) {
        const sl = s === 0 ? l - 1 : l + 1;
        if (sl < 0 || sl >= L) continue;
        const [hs, ws] = levels.sizes[sl]!;
        const seg = (s * levels.towers + t) * (L - 1) + sl - s;
        const value = (yy: number, xx: number) => {
          const q = levels.offsets[sl]! + yy * ws + xx;
          const v = normalised(affine, channels, seg, c, depthwise[rows.row(s, t, q) * channels + c]!);
          return gates ? v * gates[(s * levels.towers + t) * levels.rows + q]! : v;
        };
        acc += alignCornersSample(value, hs, ws, h, w, y, x);
      }
      out[row * channels + c] = acc * weights[t]! + input[inputRow(levels, shared, row) * channels + c]! * weights[levels.towers + t]!;
    }
  });
  return out;
}

/** What head-compact writes, in plain arrays. */
export interface CompactionRef {
  readonly gateMask: Uint8Array;
  readonly dilatedMask: Uint8Array;
  /** Per list (dilated, gate): ascending active pixels, true per-segment counts, dense choice. */
  readonly lists: { rows: number[]; map: Uint32Array; active: number[]; dense: boolean; segments: { start: number; count: number }[] }[];
  readonly scaleActive?: [number[], number[]];
}

export function headCompactRef(levels: PackedLevels, gate: Float32Array, limit: number, scaleGates?: Float32Array): CompactionRef {
  const n = levels.totalRows;
  const gateMask = new Uint8Array(n);
  const dilatedMask = new Uint8Array(n);
  forEachRow(levels, (t, l, y, x, row) => {
    gateMask[row] = gate[row]! > 0 ? 1 : 0;
    dilatedMask[row] = neighbours(levels, t, l, y, x).some((nb) => gate[nb.row]! > 0) ? 1 : 0;
  });
  const segmentOf = (row: number) => {
    const p = levels.locate(row);
    return p.tower * levels.levels + p.level;
  };
  const segmentStart = (s: number) => Math.floor(s / levels.levels) * levels.rows + levels.offsets[s % levels.levels]!;
  const lists = [dilatedMask, gateMask].map((mask) => {
    const rows: number[] = [];
    const map = new Uint32Array(n).fill(INACTIVE_INDEX);
    const active = new Array<number>(levels.segments).fill(0);
    for (let p = 0; p < n; p++) {
      if (!mask[p]) continue;
      active[segmentOf(p)]!++;
      map[p] = rows.length;
      rows.push(p);
    }
    const dense = rows.length > limit;
    if (dense) for (const p of rows) map[p] = p;
    let start = 0;
    const segments = active.map((count, s) => {
      const seg = dense ? { start: segmentStart(s), count: levels.pixels(s % levels.levels) } : { start, count };
      start += count;
      return seg;
    });
    return { rows, map, active, dense, segments };
  });
  let scaleActive: [number[], number[]] | undefined;
  if (scaleGates) {
    scaleActive = [new Array<number>(levels.segments).fill(0), new Array<number>(levels.segments).fill(0)];
    for (let p = 0; p < n; p++) {
      for (const s of [0, 1] as const) if (scaleGates[s * n + p]! > 0) scaleActive[s][segmentOf(p)]!++;
    }
  }
  return { gateMask, dilatedMask, lists, scaleActive };
}

/**
 * A packed 3×3 conv (stride 1, pad 1 per level) at the pixels `rows` lists (every row of every
 * tower by default). `inputAt(t, row, c)` gives the (already transformed) input of tower t's conv
 * at packed input row `row`; weights [T][9·Cin][Cout] (HWIO per tower). Returns, per listed pixel
 * in order, its Cout values (before any epilogue), plus bias if given.
 */
export function packedConvRef(
  levels: PackedLevels,
  inputAt: (tower: number, row: number, c: number) => number,
  cin: number,
  cout: number,
  weights: Float32Array,
  pixels: readonly number[],
  bias?: Float32Array,
): Float64Array {
  const out = new Float64Array(pixels.length * cout);
  pixels.forEach((p, i) => {
    const { tower: t, level: l, y, x } = levels.locate(p);
    const wt = levels.towers > 1 || weights.length > 9 * cin * cout ? t * 9 * cin * cout : 0;
    for (let o = 0; o < cout; o++) {
      let acc = bias ? bias[o]! : 0;
      for (const nb of neighbours(levels, t, l, y, x)) {
        for (let c = 0; c < cin; c++) acc += inputAt(t, nb.row, c) * weights[wt + (nb.tap * cin + c) * cout + o]!;
      }
      out[i * cout + o] = acc;
    }
  });
  return out;
}

/** head-epilogue: max(n · gate + y, 0) (fixed: max(n + y, 0)), n from conv2's row of each pixel. */
export function headEpilogueRef(
  levels: PackedLevels,
  conv: Float32Array,
  rowOfPixel: (p: number) => number,
  affine: Float32Array,
  gate: Float32Array | undefined,
  y: Float32Array,
  channels: number,
): Float32Array {
  const out = new Float32Array(y.length);
  forEachRow(levels, (t, l, _y, _x, p) => {
    const j = rowOfPixel(p);
    const seg = t * levels.levels + l;
    for (let c = 0; c < channels; c++) {
      const n = j === INACTIVE_INDEX ? 0 : normalised(affine, channels, seg, c, conv[j * channels + c]!);
      const v = gate ? n * gate[p]! + y[p * channels + c]! : n + y[p * channels + c]!;
      out[p * channels + c] = Math.max(v, 0);
    }
  });
  return out;
}

/** GroupNorm + ReLU of conv1's row j for pixel p (conv2's NORM_INPUT), 0 without a row. */
export function normalisedReluAt(levels: PackedLevels, conv: Float32Array, affine: Float32Array, channels: number, rowOfPixel: (p: number) => number) {
  return (t: number, row: number, c: number): number => {
    const j = rowOfPixel(row);
    if (j === INACTIVE_INDEX) return 0;
    const seg = t * levels.levels + levels.locate(row).level;
    return Math.max(normalised(affine, channels, seg, c, conv[j * channels + c]!), 0);
  };
}

/**
 * The u32 words head-compact writes for `ref` (lists, maps, tables, counts; the consumers'
 * arguments for `convChannels` outputs and `groups` statistics groups): what a benchmark or a
 * test needs to drive the list consumers without running the compaction.
 */
export function encodeCompaction(layout: ActiveListsLayout, ref: CompactionRef, convChannels: number, groups: number): Uint32Array {
  const words = new Uint32Array(layout.words);
  const { levels } = layout;
  (['dilated', 'gate'] as const).forEach((list, d) => {
    const r = ref.lists[d]!;
    const meta = layout.meta[list];
    const rows = r.dense ? levels.totalRows : r.rows.length;
    words[meta] = r.dense ? 1 : 0;
    words[meta + 1] = rows;
    r.segments.forEach((s, i) => {
      words[meta + 2 + 2 * i] = s.start;
      words[meta + 3 + 2 * i] = s.count;
      words[layout.active[list] + i] = r.active[i]!;
    });
    if (!r.dense) words.set(r.rows, layout.rows[list]);
    words.set(r.map, layout.map[list]);
    const towerRows = Array.from({ length: levels.towers }, (_, t) => (r.dense ? levels.rows : r.active.slice(t * levels.levels, (t + 1) * levels.levels).reduce((a, b) => a + b, 0)));
    const tiles = Math.max(...towerRows.map((n) => Math.ceil(n / 32)));
    words.set(tiles ? [Math.ceil(convChannels / 64), tiles, levels.towers] : [0, 0, 0], 6 * d);
    const statGroups = Math.ceil((Math.ceil(rows / 16) * groups) / 64);
    words.set(statGroups ? [statGroups, 1, 1] : [0, 0, 0], 6 * d + 3);
  });
  return words;
}
