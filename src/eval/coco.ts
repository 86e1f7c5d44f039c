/**
 * COCO bbox evaluation (AP@[.5:.95], AP50, AP75, AP small / medium / large, AR@1/10/100 and AR by
 * area), reproducing pycocotools `COCOeval` (iouType 'bbox', useCats) number for number:
 * per-(image, category) greedy matching ({@link evaluateImage}), per-category accumulation with
 * 101-point interpolated precision ({@link accumulateCategory}), and `summarize()`'s means over
 * every entry that is not -1 (categories without GT in an area range are left out; -1 when
 * nothing is left). Detections are evaluated at most 100 per image and category, like
 * pycocotools (`maxDets[-1]` applies per category, not per image).
 */
import { accumulateCategory } from './accumulate';
import { COCO_AREA_RANGES, COCO_MAX_DETS, type AreaRange } from './area-ranges';
import { evaluateImage, type ImageEvaluation } from './evaluate-image';
import { COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS } from './linspace';
import {
  type CocoAnnotation,
  type CocoDataset,
  type CocoDetection,
  type CocoStats,
} from './types';

export interface CocoEvalResult {
  readonly stats: CocoStats;
  /** The twelve stats in pycocotools order. */
  readonly statsArray: readonly number[];
  /** AP@[.5:.95] (all areas, 100 dets) per category id; -1 for a category without GT. */
  readonly perCategoryAP: ReadonlyMap<number, number>;
  /** Sorted ids the evaluation ran over. */
  readonly imageIds: readonly number[];
  readonly categoryIds: readonly number[];
  /**
   * pycocotools `eval['precision']`, shape `[T, R, K, A, M]` row-major
   * (IoU thresholds × recall thresholds × categories × area ranges × maxDets).
   */
  readonly precision: Float64Array;
  /** `eval['recall']`, shape `[T, K, A, M]`. */
  readonly recall: Float64Array;
}

const key = (img: number, cat: number) => `${img}:${cat}`;

function groupBy<T extends { image_id: number; category_id: number }>(items: readonly T[]) {
  const map = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it.image_id, it.category_id);
    const list = map.get(k);
    if (list) list.push(it);
    else map.set(k, [it]);
  }
  return map;
}

/** Evaluates `detections` against the ground truth `gt`; see the module comment. */
export function evaluateCoco(gt: CocoDataset, detections: readonly CocoDetection[]): CocoEvalResult {
  const imageIds = [...new Set(gt.images.map((im) => im.id))].sort((a, b) => a - b);
  const categoryIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const knownImages = new Set(imageIds);
  for (const d of detections) {
    if (!knownImages.has(d.image_id)) {
      throw new Error(`detection for image ${d.image_id}, which is not in the ground truth`);
    }
  }
  const gts = groupBy<CocoAnnotation>(gt.annotations);
  const dts = groupBy<CocoDetection>(detections);
  const areas: readonly AreaRange[] = COCO_AREA_RANGES;
  const maxDets = COCO_MAX_DETS;
  const T = COCO_IOU_THRESHOLDS.length;
  const R = COCO_RECALL_THRESHOLDS.length;
  const K = categoryIds.length;
  const A = areas.length;
  const M = maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const maxDet = maxDets[M - 1];
  categoryIds.forEach((cat, k) => {
    areas.forEach((range, a) => {
      const evals: (ImageEvaluation | null)[] = imageIds.map((img) =>
        evaluateImage(
          gts.get(key(img, cat)) ?? [],
          dts.get(key(img, cat)) ?? [],
          range,
          maxDet,
          COCO_IOU_THRESHOLDS,
        ),
      );
      maxDets.forEach((md, m) => {
        const curve = accumulateCategory(evals, md, COCO_RECALL_THRESHOLDS, T);
        for (let t = 0; t < T; t++) {
          recall[((t * K + k) * A + a) * M + m] = curve.recall[t];
          for (let r = 0; r < R; r++) {
            precision[(((t * R + r) * K + k) * A + a) * M + m] = curve.precision[t * R + r];
          }
        }
      });
    });
  });

  const mean = (values: Iterable<number>) => {
    let sum = 0;
    let n = 0;
    for (const v of values) {
      if (v > -1) {
        sum += v;
        n++;
      }
    }
    return n === 0 ? -1 : sum / n;
  };
  // pycocotools selects a single threshold by equality (`iouThr == p.iouThrs`).
  const tIndex = (iou: number | null) =>
    iou === null ? [...Array(T).keys()] : [...Array(T).keys()].filter((t) => COCO_IOU_THRESHOLDS[t] === iou);
  function* apEntries(iou: number | null, a: number, m: number, cats: readonly number[]) {
    for (const t of tIndex(iou))
      for (let r = 0; r < R; r++)
        for (const k of cats) yield precision[(((t * R + r) * K + k) * A + a) * M + m];
  }
  function* arEntries(iou: number | null, a: number, m: number) {
    for (const t of tIndex(iou)) for (let k = 0; k < K; k++) yield recall[((t * K + k) * A + a) * M + m];
  }
  const allCats = [...Array(K).keys()];
  const m100 = maxDets.indexOf(100);
  const statsArray = [
    mean(apEntries(null, 0, m100, allCats)),
    mean(apEntries(0.5, 0, m100, allCats)),
    mean(apEntries(0.75, 0, m100, allCats)),
    mean(apEntries(null, 1, m100, allCats)),
    mean(apEntries(null, 2, m100, allCats)),
    mean(apEntries(null, 3, m100, allCats)),
    mean(arEntries(null, 0, maxDets.indexOf(1))),
    mean(arEntries(null, 0, maxDets.indexOf(10))),
    mean(arEntries(null, 0, m100)),
    mean(arEntries(null, 1, m100)),
    mean(arEntries(null, 2, m100)),
    mean(arEntries(null, 3, m100)),
  ];
  const [AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl] = statsArray;
  const stats: CocoStats = { AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl };
  const perCategoryAP = new Map<number, number>();
  categoryIds.forEach((cat, k) => perCategoryAP.set(cat, mean(apEntries(null, 0, m100, [k]))));
  return { stats, statsArray, perCategoryAP, imageIds, categoryIds, precision, recall };
}
