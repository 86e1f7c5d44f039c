import { InvalidArgumentError, UnsupportedImageError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import type { InputConfig } from '../weights/config';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/**
 * Bindings for `shaders/preprocess.wgsl` plus the host-side size arithmetic of spec §1
 * (Detectron2 ResizeShortestEdge, then padding to the FPN's size divisibility).
 */

/** Largest accepted image side: the largest canvas browsers allow. */
export const MAX_IMAGE_SIDE = 16384;
/** WebGPU's default maxStorageBufferBindingSize: the most any one buffer here may hold. */
const MAX_BINDING_BYTES = 128 * 1024 * 1024;
/** Largest accepted pixel count: 4 bytes each fill one default-sized storage binding. */
export const MAX_IMAGE_PIXELS = MAX_BINDING_BYTES / 4;

/** An RGBA8 image on the GPU: `height · width` u32 words holding ImageData's bytes. */
export interface RgbaImage {
  readonly buffer: GPUBuffer;
  readonly height: number;
  readonly width: number;
}

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
 * Checks an image's size before anything touches the GPU: a zero or absurd size is an
 * UnsupportedImageError, a non-integer size an InvalidArgumentError.
 */
export function validateImageSize(height: number, width: number): void {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`image ${name}`, `expected a non-negative integer, got ${v}`);
  }
  if (height === 0 || width === 0) throw new UnsupportedImageError(`the image is empty (${width}×${height} pixels)`);
  if (height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE || height * width > MAX_IMAGE_PIXELS) {
    throw new UnsupportedImageError(
      `${width}×${height} pixels exceeds the limit (sides up to ${MAX_IMAGE_SIDE}, ` +
        `${MAX_IMAGE_PIXELS / (1024 * 1024)} Mpixel); downscale it first`,
    );
  }
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

/** Which RGBA byte feeds each output channel. */
function channelBytes(format: InputConfig['format']): [number, number, number] {
  return format === 'BGR' ? [2, 1, 0] : [0, 1, 2];
}

/**
 * out [1, Hp, Wp, 3] = normalised, resized, zero-padded `image` per `input` (spec §1). `out`'s
 * shape must be `[1, ...planPreprocess(...).paddedSize, 3]`.
 */
export function preprocessProgram(scope: BufferScope, image: RgbaImage, out: Tensor, input: InputConfig): KernelProgram {
  const plan = planPreprocess(image.height, image.width, input);
  const pixelBytes = image.height * image.width * 4;
  if (image.buffer.size < pixelBytes) {
    throw new InvalidArgumentError('image', `buffer holds ${image.buffer.size} bytes, ${image.width}×${image.height} RGBA needs ${pixelBytes}`);
  }
  const [rh, rw] = plan.resizedSize;
  const [ph, pw] = plan.paddedSize;
  requireShape('out', out, [1, ph, pw, 3]);
  if (out.buffer === image.buffer) throw new InvalidArgumentError('out', 'cannot be the image buffer');
  const params = scope.uniform(
    new UniformWriter()
      .u32(ph, pw, rh, rw, image.height, image.width)
      // PyTorch's scale for align_corners=False: (float)in / out.
      .f32(Math.fround(image.height / rh), Math.fround(image.width / rw))
      .u32(...channelBytes(input.format), 0)
      .f32(...input.pixelMean, 0)
      .f32(...input.pixelStd, 0)
      .bytes(),
    'preprocess params',
  );
  return {
    label: 'preprocess',
    shader: 'preprocess',
    entryPoint: 'main',
    bindings: [params, image.buffer, out.buffer],
    dispatch: workgroups1D(Math.ceil((ph * pw) / 256)),
  };
}

/** Uploads RGBA8 pixels (e.g. `ImageData.data`) after validating them. */
export function uploadRgbaImage(scope: BufferScope, data: Uint8Array | Uint8ClampedArray, height: number, width: number): RgbaImage {
  validateRgbaPixels(data, height, width);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { buffer: scope.upload(bytes, 'rgba image'), height, width };
}
