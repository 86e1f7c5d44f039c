/** COCO area ranges (pixels²): small < 32², medium 32²–96², large > 96² (bounds inclusive). */
export interface AreaRange {
  readonly name: 'all' | 'small' | 'medium' | 'large';
  readonly min: number;
  readonly max: number;
}

export const COCO_AREA_RANGES: readonly AreaRange[] = [
  { name: 'all', min: 0, max: 1e5 ** 2 },
  { name: 'small', min: 0, max: 32 ** 2 },
  { name: 'medium', min: 32 ** 2, max: 96 ** 2 },
  { name: 'large', min: 96 ** 2, max: 1e5 ** 2 },
];

/** COCO's `maxDets` (the last one caps the detections evaluated per image and category). */
export const COCO_MAX_DETS: readonly number[] = [1, 10, 100];

/** Outside the range (pycocotools: `area < min or area > max`). */
export function outsideRange(area: number, range: AreaRange): boolean {
  return area < range.min || area > range.max;
}
