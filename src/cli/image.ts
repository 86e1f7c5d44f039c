/**
 * Image files for the Node CLI: PNG (pngjs) and JPEG (jpeg-js) decoded to RGBA8, the same layout
 * as the browser's `ImageData`, so both feed the engine's pre-processing identically. The format
 * is sniffed from the bytes, never from the file name. Node only.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DynamicHeadError, UnsupportedImageError } from '../errors';
import { checkImagePixels, encodedImageSize, MAX_IMAGE_PIXELS } from '../image-limits';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** RGBA8, row-major, width · height · 4 bytes (alpha is kept but the detector ignores it). */
  readonly data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

/** Formats recognised only to name them in the error message. */
function otherFormat(bytes: Uint8Array): string | undefined {
  const ascii = (at: number, s: string) => startsWith(bytes, [...s].map((c) => c.charCodeAt(0)), at);
  if (ascii(0, 'GIF8')) return 'GIF';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'WebP';
  if (ascii(0, 'BM')) return 'BMP';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (ascii(4, 'ftypavif') || ascii(4, 'ftypheic') || ascii(4, 'ftypmif1')) return 'AVIF/HEIF';
  return undefined;
}

/** The format of an encoded image, from its signature; undefined when not PNG or JPEG. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  return undefined;
}

/** RGBA8 bytes of the largest image accepted (src/image-limits.ts). */
export const MAX_DECODED_BYTES = MAX_IMAGE_PIXELS * 4;

function checkSize(width: number, height: number, what: string): void {
  if (!(width > 0 && height > 0)) throw new UnsupportedImageError(`${what} has no pixels (${width}×${height})`);
  checkImagePixels(width, height, what);
}

function decodePng(bytes: Uint8Array, what: string): DecodedImage {
  const header = encodedImageSize(bytes);
  if (header) checkSize(header[0], header[1], what);
  let png: PNG;
  try {
    // pngjs expands palette/grey/16-bit to 8-bit RGBA.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new UnsupportedImageError(`${what} is not a readable PNG (${(error as Error).message})`);
  }
  checkSize(png.width, png.height, what);
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

function decodeJpeg(bytes: Uint8Array, what: string): DecodedImage {
  const header = encodedImageSize(bytes);
  if (header) checkSize(header[0], header[1], what);
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      // RGBA output plus the decoder's per-component planes.
      maxMemoryUsageInMB: Math.ceil((MAX_DECODED_BYTES * 2) / (1024 * 1024)),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (/limit exceeded/.test(message)) {
      throw new UnsupportedImageError(`${what}: decoding it needs more memory than the ${MAX_DECODED_BYTES / 2 ** 20} MiB decode limit (${message})`);
    }
    throw new UnsupportedImageError(`${what} is not a readable JPEG (${message})`);
  }
  checkSize(image.width, image.height, what);
  if (image.data.length !== image.width * image.height * 4) {
    throw new UnsupportedImageError(`${what}: the JPEG decoder returned ${image.data.length} bytes for ${image.width}×${image.height}`);
  }
  return { width: image.width, height: image.height, data: image.data };
}

/** Decodes PNG or JPEG bytes to RGBA8; anything else is an UnsupportedImageError. */
export function decodeImage(bytes: Uint8Array, what = 'the image'): DecodedImage {
  const format = sniffImageFormat(bytes);
  if (format === 'png') return decodePng(bytes, what);
  if (format === 'jpeg') return decodeJpeg(bytes, what);
  if (bytes.length === 0) throw new UnsupportedImageError(`${what} is empty (0 bytes)`);
  const other = otherFormat(bytes);
  throw new UnsupportedImageError(
    other
      ? `${what} is ${other}; only PNG and JPEG are supported (convert it first)`
      : `${what} is neither PNG nor JPEG (unrecognised signature)`,
  );
}

/** Reads and decodes an image file (file-system errors such as ENOENT propagate unchanged). */
export async function readImageFile(path: string): Promise<DecodedImage> {
  return decodeImage(await readFile(path), path);
}

/** Writes RGBA8 pixels as an 8-bit RGBA PNG file (errors name the file). */
export function writePngFile(file: string, image: DecodedImage): void {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  try {
    writeFileSync(file, PNG.sync.write(png));
  } catch (error) {
    throw new DynamicHeadError('INVALID_ARGUMENT', `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
