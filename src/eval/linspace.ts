/**
 * `numpy.linspace(start, stop, num)` bit for bit (numpy ≥ 1.20 with a scalar step):
 * `y[i] = i * ((stop − start) / (num − 1)) + start`, last element set to `stop` exactly.
 * The COCO IoU thresholds (0.5, 0.55, …, 0.95) and recall thresholds (0, 0.01, …, 1) are made this
 * way; using the same doubles keeps the `iou < threshold` comparisons identical to pycocotools.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** IoU thresholds 0.50:0.05:0.95 (`np.linspace(.5, 0.95, 10)`). */
export const COCO_IOU_THRESHOLDS: Float64Array = linspace(0.5, 0.95, 10);

/** 101 recall thresholds 0:0.01:1 (`np.linspace(.0, 1.00, 101)`). */
export const COCO_RECALL_THRESHOLDS: Float64Array = linspace(0, 1, 101);
