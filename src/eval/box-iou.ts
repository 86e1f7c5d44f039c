import type { CocoBox } from './types';

/**
 * IoU matrix of detections × ground truth for `[x, y, w, h]` boxes, the pycocotools `maskApi.c`
 * `bbIou` arithmetic: `inter / (area_d + area_g − inter)`, or `inter / area_d` for a crowd GT;
 * no `+1` pixel convention. Returns a row-major `Float64Array` of `dets.length × gts.length`.
 */
export function boxIouMatrix(
  dets: readonly (CocoBox | readonly number[])[],
  gts: readonly (CocoBox | readonly number[])[],
  gtIsCrowd: readonly boolean[],
): Float64Array {
  const D = dets.length;
  const G = gts.length;
  const out = new Float64Array(D * G);
  for (let g = 0; g < G; g++) {
    const gb = gts[g];
    const ga = gb[2] * gb[3];
    for (let d = 0; d < D; d++) {
      const db = dets[d];
      const da = db[2] * db[3];
      const w = Math.min(db[2] + db[0], gb[2] + gb[0]) - Math.max(db[0], gb[0]);
      if (w <= 0) continue;
      const h = Math.min(db[3] + db[1], gb[3] + gb[1]) - Math.max(db[1], gb[1]);
      if (h <= 0) continue;
      const inter = w * h;
      const union = gtIsCrowd[g] ? da : da + ga - inter;
      out[d * G + g] = inter / union;
    }
  }
  return out;
}
