/** What the detector reports for one object. */

/** Corner box [x1, y1, x2, y2] in pixels; x grows rightwards, y downwards. */
export type Box = readonly [x1: number, y1: number, x2: number, y2: number];

export interface Detection {
  /** In the original image's pixels, clipped to the image. */
  readonly box: Box;
  /** sqrt(class probability · centerness), in (0, 1]. */
  readonly score: number;
  /** Index into the model's classes (0-based, COCO order for the official weights). */
  readonly classId: number;
}
