import { outsideRange, type AreaRange } from './area-ranges';
import { boxIouMatrix } from './box-iou';
import type { CocoAnnotation, CocoDetection } from './types';

/**
 * Matching result of one (image, category, area range) — pycocotools `evaluateImg`.
 * Arrays over IoU thresholds are row-major `[T × D]`; detections are in score order, cut to
 * `maxDet`.
 */
export interface ImageEvaluation {
  /** Scores of the kept detections, descending (ties keep input order). */
  readonly dtScores: Float64Array;
  /** `[T × D]`: 1 where detection d is a match at threshold t (to any GT, ignored or not). */
  readonly dtMatched: Uint8Array;
  /** `[T × D]`: 1 where detection d is ignored at threshold t. */
  readonly dtIgnore: Uint8Array;
  /** Per GT (in the reordered list): 1 if ignored for this area range. */
  readonly gtIgnore: Uint8Array;
  readonly numThresholds: number;
}

/** Indices of `values` sorted by `key` ascending, stable (numpy `argsort(kind='mergesort')`). */
function stableOrder<T>(values: readonly T[], key: (v: T) => number): number[] {
  const idx = values.map((_, i) => i);
  idx.sort((a, b) => key(values[a]) - key(values[b]) || a - b);
  return idx;
}

/**
 * Greedy matching of one image's detections of one category against its GT, exactly as
 * pycocotools: detections by descending score (at most `maxDet`); GT with the ignored ones last;
 * for each IoU threshold, each detection takes the not-yet-matched GT (crowd GT may be matched
 * again) with the largest IoU ≥ threshold, a later GT winning ties; once a non-ignored GT is
 * matched, ignored GTs are not considered. A detection matched to an ignored GT is ignored; an
 * unmatched detection with area outside the range is ignored. Returns `null` when there is
 * neither GT nor detection (the pair does not count).
 */
export function evaluateImage(
  gts: readonly CocoAnnotation[],
  dts: readonly CocoDetection[],
  range: AreaRange,
  maxDet: number,
  iouThresholds: Float64Array,
): ImageEvaluation | null {
  if (gts.length === 0 && dts.length === 0) return null;
  // pycocotools `_prepare` overwrites any `ignore` field with `iscrowd`.
  const ignoreOf = (g: CocoAnnotation) =>
    (g.iscrowd ?? 0) !== 0 || outsideRange(g.area, range) ? 1 : 0;
  const gtOrder = stableOrder(gts, ignoreOf);
  const gt = gtOrder.map((i) => gts[i]);
  const gtIgnore = Uint8Array.from(gt, ignoreOf);
  const gtCrowd = gt.map((g) => (g.iscrowd ?? 0) !== 0);
  const dtOrder = stableOrder(dts, (d) => -d.score).slice(0, maxDet);
  const dt = dtOrder.map((i) => dts[i]);
  const T = iouThresholds.length;
  const G = gt.length;
  const D = dt.length;
  const ious = boxIouMatrix(
    dt.map((d) => d.bbox),
    gt.map((g) => g.bbox),
    gtCrowd,
  );
  const gtMatched = new Uint8Array(T * G);
  const dtMatched = new Uint8Array(T * D);
  const dtIgnore = new Uint8Array(T * D);
  if (G > 0 && D > 0) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(iouThresholds[t], 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          if (gtMatched[t * G + g] && !gtCrowd[g]) continue;
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
          const v = ious[d * G + g];
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        dtIgnore[t * D + d] = gtIgnore[m];
        // pycocotools stores the GT id and tests it for != 0 (an id of 0 reads as unmatched).
        dtMatched[t * D + d] = gt[m].id !== 0 ? 1 : 0;
        gtMatched[t * G + m] = 1;
      }
    }
  }
  for (let d = 0; d < D; d++) {
    const b = dt[d].bbox;
    if (!outsideRange(b[2] * b[3], range)) continue;
    for (let t = 0; t < T; t++) if (!dtMatched[t * D + d]) dtIgnore[t * D + d] = 1;
  }
  return {
    dtScores: Float64Array.from(dt, (d) => d.score),
    dtMatched,
    dtIgnore,
    gtIgnore,
    numThresholds: T,
  };
}
