/** Reads a transferred `ImageBitmap`'s RGBA pixels in the worker, through one reused OffscreenCanvas. */
import { UnsupportedImageError } from '../errors';
import type { RgbaPixels } from '../model/engine';

let canvas: OffscreenCanvas | undefined;
let context: OffscreenCanvasRenderingContext2D | undefined;

export function bitmapPixels(bitmap: ImageBitmap): RgbaPixels {
  const { width, height } = bitmap;
  try {
    if (width === 0 || height === 0) throw new UnsupportedImageError(`the image is empty (${width}×${height})`);
    if (!canvas || !context) {
      canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: true });
      if (!ctx) throw new UnsupportedImageError('this worker cannot create a 2D OffscreenCanvas context');
      context = ctx;
    }
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    } else {
      context.clearRect(0, 0, width, height);
    }
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, width, height).data;
    return { data, width, height };
  } finally {
    bitmap.close();
  }
}
