/**
 * CPU reference for the whole pre-processing (spec §1; `shaders/pillow-resize.wgsl` on the GPU):
 * Pillow BILINEAR resize of the uint8 image (skipped when the size is unchanged), then channel
 * order per `input.format`, float32 (x − mean) / std, zero padding bottom/right — what
 * tools/reference/preprocess.py and the official cvpods pipeline compute.
 */
import { channelBytes } from '../ops/pillow-resize';
import { planPreprocess, type PreprocessPlan } from '../ops/preprocess';
import type { InputConfig } from '../weights/config';
import { pillowResizeRgb } from './pillow-resize';

const f32 = Math.fround;

/** `rgba` (ImageData bytes, height × width; alpha ignored) → NHWC f32 [1, Hp, Wp, 3]. */
export function preprocessRef(
  rgba: Uint8Array | Uint8ClampedArray,
  height: number,
  width: number,
  input: InputConfig,
): { data: Float32Array; plan: PreprocessPlan } {
  const plan = planPreprocess(height, width, input);
  const [rh, rw] = plan.resizedSize;
  const [ph, pw] = plan.paddedSize;
  const rgb = pillowResizeRgb(rgba, height, width, rh, rw);
  const bytes = channelBytes(input.format);
  const mean = input.pixelMean.map(f32);
  const std = input.pixelStd.map(f32);
  const data = new Float32Array(ph * pw * 3);
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      for (let c = 0; c < 3; c++) {
        data[(y * pw + x) * 3 + c] = f32(f32(rgb[(y * rw + x) * 3 + bytes[c]!]! - mean[c]!) / std[c]!);
      }
    }
  }
  return { data, plan };
}
