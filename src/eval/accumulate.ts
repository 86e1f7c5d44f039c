import type { ImageEvaluation } from './evaluate-image';

/** Precision at the recall thresholds and the final recall, per IoU threshold. */
export interface CategoryCurve {
  /** `[T × R]` row-major; -1 everywhere when the category has no non-ignored GT. */
  readonly precision: Float64Array;
  /** `[T]`; -1 when the category has no non-ignored GT. */
  readonly recall: Float64Array;
}

/** First index i with `sorted[i] >= x` (`np.searchsorted(side='left')`). */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * pycocotools `accumulate` for one category, area range and `maxDet`: the images' detections
 * (each image's list cut to `maxDet`) are merged by descending score (stable, images in id
 * order), non-ignored ones count as TP (matched) or FP; recall = TP / #non-ignored GT,
 * precision = TP / (TP + FP + ε) with ε = 2⁻⁵² (`np.spacing(1)`), made monotone from the right,
 * then read at each recall threshold r as the precision at the first point with recall ≥ r
 * (0 when recall never reaches r).
 */
export function accumulateCategory(
  evals: readonly (ImageEvaluation | null)[],
  maxDet: number,
  recallThresholds: Float64Array,
  numThresholds: number,
): CategoryCurve {
  const T = numThresholds;
  const R = recallThresholds.length;
  const precision = new Float64Array(T * R).fill(-1);
  const recall = new Float64Array(T).fill(-1);
  const E = evals.filter((e): e is ImageEvaluation => e !== null);
  if (E.length === 0) return { precision, recall };
  let npig = 0;
  for (const e of E) for (const ig of e.gtIgnore) if (ig === 0) npig++;
  if (npig === 0) return { precision, recall };
  // Concatenate (image order), then a stable sort by descending score.
  const refs: { e: ImageEvaluation; d: number; score: number }[] = [];
  for (const e of E) {
    const n = Math.min(maxDet, e.dtScores.length);
    for (let d = 0; d < n; d++) refs.push({ e, d, score: e.dtScores[d] });
  }
  const order = refs.map((_, i) => i);
  order.sort((a, b) => refs[b].score - refs[a].score || a - b);
  const nd = order.length;
  const rc = new Float64Array(nd);
  const pr = new Float64Array(nd);
  for (let t = 0; t < T; t++) {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < nd; i++) {
      const { e, d } = refs[order[i]];
      const D = e.dtScores.length;
      const matched = e.dtMatched[t * D + d] !== 0;
      const ignored = e.dtIgnore[t * D + d] !== 0;
      if (matched && !ignored) tp++;
      if (!matched && !ignored) fp++;
      rc[i] = tp / npig;
      pr[i] = tp / (fp + tp + Number.EPSILON);
    }
    recall[t] = nd > 0 ? rc[nd - 1] : 0;
    for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    for (let r = 0; r < R; r++) {
      const p = lowerBound(rc, nd, recallThresholds[r]);
      // pycocotools stops filling at the first out-of-range index; the rest stay 0.
      if (p >= nd) {
        for (let q = r; q < R; q++) precision[t * R + q] = 0;
        break;
      }
      precision[t * R + r] = pr[p];
    }
  }
  return { precision, recall };
}
