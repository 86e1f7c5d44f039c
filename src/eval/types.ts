/**
 * COCO data types used by the evaluator (the subset of the official JSON formats that bbox
 * evaluation reads).  Boxes are `[x, y, width, height]` in pixels, as in COCO.
 */

/** `[x, y, width, height]`. */
export type CocoBox = readonly [number, number, number, number];

export interface CocoImage {
  readonly id: number;
  readonly file_name?: string;
  readonly width?: number;
  readonly height?: number;
}

export interface CocoCategory {
  readonly id: number;
  readonly name?: string;
}

/** A ground-truth annotation (instances JSON). */
export interface CocoAnnotation {
  readonly id: number;
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: CocoBox | readonly number[];
  /** Used for the area ranges (COCO uses the segment area; here usually `w·h`). */
  readonly area: number;
  /**
   * Crowd regions are ignored GT (matched with IoU = inter / detection area). As in pycocotools,
   * an `ignore` field is not read (it is overwritten by `iscrowd`).
   */
  readonly iscrowd?: number;
}

/** Ground truth: the COCO instances JSON. */
export interface CocoDataset {
  readonly images: readonly CocoImage[];
  readonly annotations: readonly CocoAnnotation[];
  readonly categories: readonly CocoCategory[];
}

/** One detection in the COCO results format. */
export interface CocoDetection {
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: CocoBox | readonly number[];
  readonly score: number;
}

/** The twelve numbers `COCOeval.summarize()` prints, in its order. */
export interface CocoStats {
  /** AP @ IoU 0.50:0.95, all areas, 100 detections. */
  readonly AP: number;
  readonly AP50: number;
  readonly AP75: number;
  readonly APs: number;
  readonly APm: number;
  readonly APl: number;
  readonly AR1: number;
  readonly AR10: number;
  readonly AR100: number;
  readonly ARs: number;
  readonly ARm: number;
  readonly ARl: number;
}

export const COCO_STAT_NAMES: readonly (keyof CocoStats)[] = [
  'AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl',
];
