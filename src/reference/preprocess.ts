/** CPU reference for `shaders/preprocess.wgsl`: tools/reference/preprocess.py in float32 steps. */
import { planPreprocess, type PreprocessPlan } from '../ops/preprocess';
import type { InputConfig } from '../weights/config';

const f32 = Math.fround;

/** PyTorch's compute_indices_weights_linear (align_corners=False) for one output index. */
function taps(dst: number, scale: number, inSize: number): [number, number, number, number] {
  const src = Math.max(f32(f32(scale * f32(dst + 0.5)) - 0.5), 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  const lambda = Math.min(Math.max(f32(src - i0), 0), 1);
  return [i0, Math.min(i0 + 1, inSize - 1), f32(1 - lambda), lambda];
}

/**
 * `rgba` (ImageData bytes, height × width) → NHWC f32 [1, Hp, Wp, 3]: bilinear resize
 * (align_corners=False, no antialias; skipped when the size is unchanged), channel order per
 * `input.format`, (x − mean) / std, zero padding bottom/right.
 */
export function preprocessRef(
  rgba: Uint8Array | Uint8ClampedArray,
  height: number,
  width: number,
  input: InputConfig,
): { data: Float32Array; plan: PreprocessPlan } {
  const plan = planPreprocess(height, width, input);
  const [rh, rw] = plan.resizedSize;
  const [ph, pw] = plan.paddedSize;
  const bytes = input.format === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const mean = input.pixelMean.map(f32);
  const std = input.pixelStd.map(f32);
  const resize = rh !== height || rw !== width;
  const sy = f32(height / rh);
  const sx = f32(width / rw);
  const at = (y: number, x: number, c: number) => rgba[(y * width + x) * 4 + bytes[c]!]!;
  const data = new Float32Array(ph * pw * 3);
  for (let y = 0; y < rh; y++) {
    const [y0, y1, wy0, wy1] = taps(y, sy, height);
    for (let x = 0; x < rw; x++) {
      const [x0, x1, wx0, wx1] = taps(x, sx, width);
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (resize) {
          const top = f32(f32(at(y0, x0, c) * wx0) + f32(at(y0, x1, c) * wx1));
          const bottom = f32(f32(at(y1, x0, c) * wx0) + f32(at(y1, x1, c) * wx1));
          v = f32(f32(top * wy0) + f32(bottom * wy1));
        } else {
          v = at(y, x, c);
        }
        data[(y * pw + x) * 3 + c] = f32(f32(v - mean[c]!) / std[c]!);
      }
    }
  }
  return { data, plan };
}
