/**
 * Turns a transferred `ImageBitmap` into the engine's input without reading its pixels on the
 * CPU: the engine copies it straight into a GPU texture (`copyExternalImageToTexture`, in pieces
 * when it is larger than a texture may be) and resamples from there. The page makes the bitmap
 * with `premultiplyAlpha: 'none'` and `colorSpaceConversion: 'none'` (src/api/image-bitmap.ts)
 * and the copy asks for no conversion either, so the texture holds the decoded bytes exactly.
 * Alpha is ignored, as the official pipeline reads RGB only (a pixel with alpha < 255 keeps its
 * decoded, unpremultiplied colour).
 */
import { UnsupportedImageError } from '../errors';
import type { ExternalImage } from '../model/engine';

export function bitmapImage(bitmap: ImageBitmap): ExternalImage {
  const { width, height } = bitmap;
  if (width === 0 || height === 0) throw new UnsupportedImageError(`the image is empty (${width}×${height})`);
  return { source: bitmap, width, height };
}
