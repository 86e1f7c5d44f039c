import { InvalidArgumentError, UnsupportedImageError } from '../errors';
import type { InputConfig } from '../weights/config';
import { checkImagePixels } from '../image-limits';

/**
 * The host-side size arithmetic of spec §1 (Detectron2 ResizeShortestEdge, then padding to the
 * FPN's size divisibility) and the checks on an image's size. The pixels themselves go through
 * `shaders/pillow-resize.wgsl` (src/ops/pillow-resize.ts, src/model/input-stage.ts).
 */

/** WebGPU's default maxStorageBufferBindingSize: the network input must fit one binding. */
const MAX_BINDING_BYTES = 128 * 1024 * 1024;

/** Every size the pipeline derives from an image, in [h, w]. */
export interface PreprocessPlan {
  readonly originalSize: readonly [number, number];
  /** The network input before padding: what detections are decoded in. */
  readonly resizedSize: readonly [number, number];
  /** The network input: resizedSize rounded up to a multiple of sizeDivisibility. */
  readonly paddedSize: readonly [number, number];
  /** resized / original per axis. */
  readonly scaleY: number;
  readonly scaleX: number;
}

/**
 * Detectron2 `ResizeShortestEdge.get_output_shape` in IEEE double, as the reference's Python
 * floats: shorter side to minSize, longer side capped at maxSize, `int(v + 0.5)` rounding.
 */
export function computeResizedSize(height: number, width: number, minSize: number, maxSize: number): [number, number] {
  const scale = (minSize * 1.0) / Math.min(height, width);
  let newHeight: number;
  let newWidth: number;
  if (height < width) {
    newHeight = minSize;
    newWidth = scale * width;
  } else {
    newHeight = scale * height;
    newWidth = minSize;
  }
  if (Math.max(newHeight, newWidth) > maxSize) {
    const s = (maxSize * 1.0) / Math.max(newHeight, newWidth);
    newHeight = newHeight * s;
    newWidth = newWidth * s;
  }
  // Python's int() truncates; the values are positive, so floor.
  return [Math.floor(newHeight + 0.5), Math.floor(newWidth + 0.5)];
}

function requireSize(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${value}`);
}

function validateInputConfig(input: InputConfig): void {
  requireSize('input.minSize', input.minSize, 1);
  requireSize('input.maxSize', input.maxSize, 1);
  requireSize('input.sizeDivisibility', input.sizeDivisibility, 1);
  if (input.format !== 'BGR' && input.format !== 'RGB') {
    throw new InvalidArgumentError('input.format', `expected "BGR" or "RGB", got ${String(input.format)}`);
  }
  for (const [name, values] of [['pixelMean', input.pixelMean], ['pixelStd', input.pixelStd]] as const) {
    if (values.length !== 3 || values.some((v) => !Number.isFinite(v))) {
      throw new InvalidArgumentError(`input.${name}`, `expected 3 finite numbers, got [${values.join(', ')}]`);
    }
  }
  if (input.pixelStd.some((v) => v === 0)) throw new InvalidArgumentError('input.pixelStd', 'a standard deviation of 0');
}

/**
 * Checks an image's size before anything touches the GPU: a non-integer size is an
 * InvalidArgumentError, an empty image an UnsupportedImageError. There is no upper bound here:
 * the input stage resamples any size exactly, in pieces where the GPU's limits require.
 */
export function validateImageSize(height: number, width: number): void {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`image ${name}`, `expected a non-negative integer, got ${v}`);
  }
  if (height === 0 || width === 0) throw new UnsupportedImageError(`the image is empty (${width}×${height} pixels)`);
  checkImagePixels(width, height);
}

/** Validates an RGBA8 pixel array (ImageData.data layout) of the given size. */
export function validateRgbaPixels(data: ArrayLike<number> & { readonly byteLength: number }, height: number, width: number): void {
  validateImageSize(height, width);
  const expected = height * width * 4;
  if (data.byteLength !== expected) {
    throw new InvalidArgumentError(
      'image data',
      `a ${width}×${height} RGBA image needs ${expected} bytes, got ${data.byteLength}`,
    );
  }
}

/** All sizes for an image of height × width under `input` (validated). */
export function planPreprocess(height: number, width: number, input: InputConfig): PreprocessPlan {
  validateImageSize(height, width);
  validateInputConfig(input);
  const [rh, rw] = computeResizedSize(height, width, input.minSize, input.maxSize);
  if (rh < 1 || rw < 1) {
    throw new UnsupportedImageError(
      `a ${width}×${height} image would shrink to ${rw}×${rh} pixels (aspect ratio too extreme for ` +
        `min size ${input.minSize} / max size ${input.maxSize})`,
    );
  }
  const d = input.sizeDivisibility;
  const paddedSize: [number, number] = [Math.ceil(rh / d) * d, Math.ceil(rw / d) * d];
  if (paddedSize[0] * paddedSize[1] * 3 * 4 > MAX_BINDING_BYTES) {
    throw new UnsupportedImageError(`the network input ${paddedSize[1]}×${paddedSize[0]} is too large`);
  }
  return { originalSize: [height, width], resizedSize: [rh, rw], paddedSize, scaleY: rh / height, scaleX: rw / width };
}
