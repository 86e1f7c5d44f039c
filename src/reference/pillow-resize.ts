/**
 * CPU reference for `shaders/pillow-resize.wgsl`: Pillow's 8-bit BILINEAR resample of an RGB
 * image (`Image.resize((w, h), Image.BILINEAR)` on mode "RGB"), bit for bit. Two separable
 * passes, horizontal first, each accumulating in 32-bit integers from 2^21 and clamping
 * `acc >> 22` to [0, 255]; only the source rows the vertical pass reads go through the
 * horizontal one, and an axis whose size does not change is not resampled.
 */
import { bilinearAxis, PRECISION_BITS, ROUNDING_BIAS, type ResampleAxis } from '../ops/pillow-coefficients';

function clip8(acc: number): number {
  return Math.min(255, Math.max(0, acc >> PRECISION_BITS));
}

/**
 * `rgba` (ImageData layout, `height × width`, alpha ignored) resized to `outHeight × outWidth`:
 * RGB bytes, row-major.
 */
export function pillowResizeRgb(
  rgba: Uint8Array | Uint8ClampedArray,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Uint8Array {
  if (rgba.length !== height * width * 4) throw new RangeError(`${width}×${height} RGBA needs ${height * width * 4} bytes, got ${rgba.length}`);
  const vertical = bilinearAxis(height, outHeight);
  const rowBegin = vertical.first[0]!;
  const rowEnd = vertical.first[outHeight - 1]! + vertical.count[outHeight - 1]!;
  // Horizontal pass (or a plain copy of the RGB bytes) over the rows the vertical pass reads.
  const rows = rowEnd - rowBegin;
  const temp = new Uint8Array(rows * outWidth * 3);
  if (outWidth === width) {
    for (let r = 0; r < rows; r++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) temp[(r * width + x) * 3 + c] = rgba[((r + rowBegin) * width + x) * 4 + c]!;
      }
    }
  } else {
    resampleRows(rgba, width, rowBegin, rows, bilinearAxis(width, outWidth), temp);
  }
  if (outHeight === height) return temp;
  return resampleColumns(temp, outWidth, rowBegin, vertical);
}

function resampleRows(rgba: Uint8Array | Uint8ClampedArray, width: number, rowBegin: number, rows: number, axis: ResampleAxis, out: Uint8Array): void {
  const outWidth = axis.outSize;
  for (let r = 0; r < rows; r++) {
    const row = (r + rowBegin) * width * 4;
    for (let x = 0; x < outWidth; x++) {
      const first = axis.first[x]!;
      const n = axis.count[x]!;
      const k = x * axis.stride;
      let a0 = ROUNDING_BIAS;
      let a1 = ROUNDING_BIAS;
      let a2 = ROUNDING_BIAS;
      for (let t = 0; t < n; t++) {
        const p = row + (first + t) * 4;
        const w = axis.weights[k + t]!;
        a0 += rgba[p]! * w;
        a1 += rgba[p + 1]! * w;
        a2 += rgba[p + 2]! * w;
      }
      const o = (r * outWidth + x) * 3;
      out[o] = clip8(a0);
      out[o + 1] = clip8(a1);
      out[o + 2] = clip8(a2);
    }
  }
}

/** The vertical pass over `temp` (RGB, `width` wide, row 0 = source row `rowBegin`). */
function resampleColumns(temp: Uint8Array, width: number, rowBegin: number, axis: ResampleAxis): Uint8Array {
  const out = new Uint8Array(axis.outSize * width * 3);
  for (let y = 0; y < axis.outSize; y++) {
    const first = axis.first[y]! - rowBegin;
    const n = axis.count[y]!;
    const k = y * axis.stride;
    for (let i = 0; i < width * 3; i++) {
      let acc = ROUNDING_BIAS;
      for (let t = 0; t < n; t++) acc += temp[(first + t) * width * 3 + i]! * axis.weights[k + t]!;
      out[y * width * 3 + i] = clip8(acc);
    }
  }
  return out;
}
