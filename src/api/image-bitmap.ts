/**
 * Converts whatever `detect` was given into a fresh `ImageBitmap` on the page, to be transferred
 * (not copied) to the worker. `createImageBitmap` decodes Blobs off the main thread and applies
 * EXIF orientation; colours are left as stored (no colour-space conversion, no premultiplication),
 * which is what the model saw in training.
 */
import { InvalidArgumentError, UnsupportedImageError } from '../errors';
import type { ImageSource } from './types';

const OPTIONS: ImageBitmapOptions = { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' };

function isInstance<T>(value: unknown, name: string): value is T {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as abstract new (...args: never[]) => unknown);
}

export async function toImageBitmap(source: ImageSource): Promise<ImageBitmap> {
  if (source === null || typeof source !== 'object') {
    throw new InvalidArgumentError('source', 'expected an image, canvas, video, ImageBitmap, ImageData, Blob or VideoFrame');
  }
  if (isInstance<HTMLImageElement>(source, 'HTMLImageElement')) {
    if (!source.complete) await source.decode().catch(() => undefined);
    if (source.naturalWidth === 0) throw new UnsupportedImageError(`the <img> ${source.src ? `"${source.src}" ` : ''}has not loaded or could not be decoded`);
  }
  if (isInstance<HTMLVideoElement>(source, 'HTMLVideoElement') && source.readyState < 2) {
    throw new UnsupportedImageError('the <video> has no frame yet (wait for its "loadeddata" event)');
  }
  try {
    return await createImageBitmap(source, OPTIONS);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const kind = isInstance<Blob>(source, 'Blob') ? `the ${source.type || 'file'} could not be decoded` : 'the source could not be read';
    throw new UnsupportedImageError(`${kind} (${detail})`);
  }
}
