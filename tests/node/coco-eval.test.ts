import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateCoco } from '../../src/eval/coco';
import { boxIouMatrix } from '../../src/eval/box-iou';
import { COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, linspace } from '../../src/eval/linspace';
import {
  COCO_STAT_NAMES,
  type CocoAnnotation,
  type CocoDataset,
  type CocoDetection,
  type CocoStats,
} from '../../src/eval/types';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'coco');
const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

let annId = 0;
function gtBox(image: number, category: number, bbox: [number, number, number, number], iscrowd = 0): CocoAnnotation {
  annId += 1;
  return { id: annId, image_id: image, category_id: category, bbox, area: bbox[2] * bbox[3], iscrowd };
}
const det = (image: number, category: number, bbox: [number, number, number, number], score: number): CocoDetection => ({
  image_id: image,
  category_id: category,
  bbox,
  score,
});
const dataset = (images: number[], categories: number[], annotations: CocoAnnotation[]): CocoDataset => ({
  images: images.map((id) => ({ id })),
  categories: categories.map((id) => ({ id })),
  annotations,
});

describe('COCO thresholds (numpy linspace)', () => {
  it('IoU thresholds 0.50:0.05:0.95 and 101 recall thresholds', () => {
    expect(COCO_IOU_THRESHOLDS.length).toBe(10);
    expect(COCO_IOU_THRESHOLDS[0]).toBe(0.5);
    expect(COCO_IOU_THRESHOLDS[9]).toBe(0.95);
    expect(COCO_IOU_THRESHOLDS[5]).toBe(0.75);
    expect(COCO_RECALL_THRESHOLDS.length).toBe(101);
    expect(COCO_RECALL_THRESHOLDS[50]).toBe(0.5);
    expect(COCO_RECALL_THRESHOLDS[100]).toBe(1);
    // numpy: arange(num) * step + start, last element = stop
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('box IoU ([x, y, w, h], no +1)', () => {
  it('overlap, touching, crowd', () => {
    const m = boxIouMatrix(
      [
        [0, 0, 10, 10],
        [10, 0, 10, 10],
      ],
      [
        [5, 0, 10, 10],
        [0, 0, 20, 20],
      ],
      [false, true],
    );
    // d0 vs g0: inter 5·10 = 50, union 100 + 100 − 50 = 150 → 1/3
    expect(m[0]).toBeCloseTo(1 / 3, 15);
    // d0 vs crowd g1: inter 100 / area_d 100 = 1
    expect(m[1]).toBe(1);
    // d1 vs g0: inter 5·10 = 50 → 1/3
    expect(m[2]).toBeCloseTo(1 / 3, 15);
    // touching boxes (w = 0) → 0
    expect(boxIouMatrix([[0, 0, 10, 10]], [[10, 0, 5, 5]], [false])[0]).toBe(0);
  });
});

describe('hand-computed example', () => {
  /*
   * Image 1. Category 1: GT A = [0,0,10,10], B = [20,0,10,10] (both area 100 → "small").
   *   detections: d1 0.9 = A exactly (IoU 1), d2 0.8 = [20,0,10,7.8] (IoU with B = 78/100 = 0.78),
   *               d3 0.7 = [50,50,10,10] (no overlap: FP).
   * Category 2: GT C = [60,60,10,10], no detection.
   * Category 3: no GT, one detection → the category is left out (-1), its FP counts nowhere.
   *
   * Category 1, IoU thresholds 0.50..0.75 (6 of them, 0.78 ≥ t): ranking TP, TP, FP;
   *   recall [.5, 1, 1], precision [1, 1, 2/3] → precision 1 at all 101 recall thresholds → AP_t = 1.
   * Thresholds 0.80..0.95 (4): TP, FP, FP; recall [.5, .5, .5], precision [1, .5, 1/3];
   *   recall thresholds 0, .01, …, .50 (51 of them) reach index 0 → precision 1; .51..1 unreachable → 0.
   *   AP_t = 51/101.
   * AP(cat 1) = (6·1 + 4·51/101) / 10 = 810/1010.  AP(cat 2) = 0.  AP = mean = 405/1010.
   * AP50 = (1 + 0)/2 = 0.5; AP75 = (1 + 0)/2 = 0.5 (0.78 ≥ 0.75).
   * APs = AP (all GT small); APm = APl = -1 (no GT in those ranges for any category).
   * AR100: cat 1 recall 1 at 6 thresholds, .5 at 4 → 0.8; cat 2: 0 → AR100 = 0.4 = AR10.
   * AR1: one detection per image and category → only d1 → recall .5 everywhere; → (0.5 + 0)/2 = 0.25.
   */
  const gt = dataset([1], [1, 2, 3], [gtBox(1, 1, [0, 0, 10, 10]), gtBox(1, 1, [20, 0, 10, 10]), gtBox(1, 2, [60, 60, 10, 10])]);
  const dets = [
    det(1, 1, [0, 0, 10, 10], 0.9),
    det(1, 1, [20, 0, 10, 7.8], 0.8),
    det(1, 1, [50, 50, 10, 10], 0.7),
    det(1, 3, [0, 0, 10, 10], 0.95),
  ];
  const r = evaluateCoco(gt, dets);
  it('summary numbers', () => {
    const expected: CocoStats = {
      AP: 405 / 1010,
      AP50: 0.5,
      AP75: 0.5,
      APs: 405 / 1010,
      APm: -1,
      APl: -1,
      AR1: 0.25,
      AR10: 0.4,
      AR100: 0.4,
      ARs: 0.4,
      ARm: -1,
      ARl: -1,
    };
    for (const n of COCO_STAT_NAMES) expect(r.stats[n], n).toBeCloseTo(expected[n], 12);
  });
  it('per-category AP (-1 for a category without GT)', () => {
    expect(r.perCategoryAP.get(1)).toBeCloseTo(810 / 1010, 12);
    expect(r.perCategoryAP.get(2)).toBe(0);
    expect(r.perCategoryAP.get(3)).toBe(-1);
  });
  it('input order of detections does not matter (sorted by score)', () => {
    const r2 = evaluateCoco(gt, [...dets].reverse());
    expect(r2.statsArray).toEqual(r.statsArray);
  });
});

describe('edge cases', () => {
  it('no detections at all: AP 0 where there is GT, -1 where there is none', () => {
    const gt = dataset([1, 2], [1, 2], [gtBox(1, 1, [0, 0, 40, 40])]);
    const r = evaluateCoco(gt, []);
    expect(r.stats.AP).toBe(0);
    expect(r.stats.APm).toBe(0); // 40×40 = 1600 is medium
    expect(r.stats.APs).toBe(-1);
    expect(r.stats.AR100).toBe(0);
    expect(r.perCategoryAP.get(2)).toBe(-1);
  });

  it('no GT at all: everything -1', () => {
    const r = evaluateCoco(dataset([1], [1], []), [det(1, 1, [0, 0, 10, 10], 0.5)]);
    for (const v of r.statsArray) expect(v).toBe(-1);
  });

  it('a duplicate ranked above a true positive costs precision', () => {
    /*
     * GT A = [0,0,10,10], B = [30,0,10,10]; detections a 0.9 (= A), a' 0.8 (= A again: FP, A is
     * taken), b 0.7 (= B). Every IoU threshold: TP, FP, TP → recall [.5, .5, 1],
     * precision [1, .5, 2/3] → envelope [1, 2/3, 2/3]. Recall thresholds 0..0.50 (51) → 1,
     * 0.51..1 (50) → 2/3: AP = (51 + 50·2/3)/101 = 253/303.
     */
    const gt = dataset([1], [1], [gtBox(1, 1, [0, 0, 10, 10]), gtBox(1, 1, [30, 0, 10, 10])]);
    const r = evaluateCoco(gt, [
      det(1, 1, [0, 0, 10, 10], 0.9),
      det(1, 1, [0, 0, 10, 10], 0.8),
      det(1, 1, [30, 0, 10, 10], 0.7),
    ]);
    expect(r.stats.AP).toBeCloseTo(253 / 303, 12);
    expect(r.stats.AR100).toBe(1);
    // A lower-scored duplicate after every TP does not change AP (1).
    const r2 = evaluateCoco(gt, [
      det(1, 1, [0, 0, 10, 10], 0.9),
      det(1, 1, [30, 0, 10, 10], 0.8),
      det(1, 1, [0, 0, 10, 10], 0.7),
    ]);
    expect(r2.stats.AP).toBe(1);
  });

  it('at most 100 detections per image and category', () => {
    // 100 higher-scored false positives push the only true positive out of the evaluated list.
    const gt = dataset([1], [1], [gtBox(1, 1, [0, 0, 10, 10])]);
    const fps = Array.from({ length: 100 }, (_, i) => det(1, 1, [100 + i, 100, 5, 5], 0.9 - i * 1e-4));
    expect(evaluateCoco(gt, [...fps, det(1, 1, [0, 0, 10, 10], 0.5)]).stats.AP).toBe(0);
    expect(evaluateCoco(gt, [...fps.slice(1), det(1, 1, [0, 0, 10, 10], 0.5)]).stats.AP).toBeGreaterThan(0);
  });

  it('iscrowd = 0 given explicitly equals a missing field; a crowd GT is ignored', () => {
    const plain = dataset([1], [1], [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100 }]);
    const zero = dataset([1], [1], [{ ...plain.annotations[0], iscrowd: 0 }]);
    const dets = [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [1, 1, 10, 10], 0.8)];
    expect(evaluateCoco(zero, dets).statsArray).toEqual(evaluateCoco(plain, dets).statsArray);
    // With an extra crowd region, a detection inside it is ignored rather than a false positive.
    const crowd = dataset([1], [1], [...zero.annotations, gtBox(1, 1, [50, 50, 40, 40], 1)]);
    const dets2 = [det(1, 1, [0, 0, 10, 10], 0.7), det(1, 1, [55, 55, 10, 10], 0.9)];
    // precision 1/(1 + ε) with pycocotools' ε = 2⁻⁵² in the denominator
    expect(evaluateCoco(crowd, dets2).stats.AP).toBeCloseTo(1, 15);
    // without the crowd region the 0.9 detection is a false positive ranked first
    expect(evaluateCoco(zero, dets2).stats.AP).toBeCloseTo(0.5, 2);
  });

  it('rejects detections of unknown images', () => {
    expect(() => evaluateCoco(dataset([1], [1], []), [det(2, 1, [0, 0, 1, 1], 0.5)])).toThrow(/image 2/);
  });
});

describe('agreement with the Python evaluator (pycocotools semantics) on a saved fixture', () => {
  const gt = readJson<CocoDataset>('gt.json');
  const dets = readJson<CocoDetection[]>('detections.json');
  const expected = readJson<{ stats: CocoStats; per_category_AP: Record<string, number> }>('expected.json');
  const r = evaluateCoco(gt, dets);
  it('twelve summary numbers within 1e-6', () => {
    for (const n of COCO_STAT_NAMES) expect(Math.abs(r.stats[n] - expected.stats[n]), n).toBeLessThanOrEqual(1e-6);
  });
  it('per-category AP within 1e-6', () => {
    for (const [cat, ap] of Object.entries(expected.per_category_AP)) {
      expect(Math.abs((r.perCategoryAP.get(Number(cat)) ?? NaN) - ap), `category ${cat}`).toBeLessThanOrEqual(1e-6);
    }
  });
});
