/**
 * Converts whatever `detect` was given into a fresh `ImageBitmap` on the page, to be transferred
 * (not copied) to the worker. `createImageBitmap` decodes Blobs off the main thread and applies
 * EXIF orientation; colours are left as stored (no colour-space conversion, no premultiplication),
 * which is what the model saw in training. Images beyond MAX_IMAGE_PIXELS are refused from their
 * dimensions (or their encoded header) before any pixel is copied.
 */
import { InvalidArgumentError, UnsupportedImageError } from '../errors';
import { checkImagePixels, encodedImageSize } from '../image-limits';
import type { ImageSource } from './types';

const OPTIONS: ImageBitmapOptions = { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' };

function isInstance<T>(value: unknown, name: string): value is T {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as abstract new (...args: never[]) => unknown);
}

/** A JPEG's frame header follows its metadata (EXIF, ICC, thumbnails): look this far for it. */
const HEADER_BYTES = 512 * 1024;

/** The source's pixel size when it can be known without copying its pixels. */
async function knownSize(source: ImageSource): Promise<[number, number] | undefined> {
  if (isInstance<HTMLImageElement>(source, 'HTMLImageElement')) return [source.naturalWidth, source.naturalHeight];
  if (isInstance<HTMLVideoElement>(source, 'HTMLVideoElement')) return [source.videoWidth, source.videoHeight];
  if (isInstance<VideoFrame>(source, 'VideoFrame')) return [source.displayWidth, source.displayHeight];
  if (isInstance<Blob>(source, 'Blob')) return encodedImageSize(new Uint8Array(await source.slice(0, HEADER_BYTES).arrayBuffer()));
  const sized = source as { width?: unknown; height?: unknown };
  return typeof sized.width === 'number' && typeof sized.height === 'number' ? [sized.width, sized.height] : undefined;
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
  // Refuse a too-large image before its pixels are copied (a 16384² canvas is 1 GiB).
  const size = await knownSize(source);
  if (size) checkImagePixels(size[0], size[1]);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, OPTIONS);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const kind = isInstance<Blob>(source, 'Blob') ? `the ${source.type || 'file'} could not be decoded` : 'the source could not be read';
    throw new UnsupportedImageError(`${kind} (${detail})`);
  }
  try {
    checkImagePixels(bitmap.width, bitmap.height);
  } catch (error) {
    bitmap.close();
    throw error;
  }
  return bitmap;
}
