/**
 * The one limit on an image's size, the same in the browser, in Node and in the CLI: at most
 * MAX_IMAGE_PIXELS pixels (128 Mpx; 512 MiB as RGBA8), any shape. Within it every image is
 * resampled exactly (the official Pillow BILINEAR resize, in pieces beyond the GPU's texture and
 * buffer limits). The limit is memory and time: the decoded pixels, the decoder's working copy and
 * the GPU upload all scale with it. It is checked from the dimensions before anything full-size is
 * made — from a PNG/JPEG/GIF/WebP/BMP header before decoding, from a canvas/bitmap/video before
 * its pixels are copied — so a too-large image is refused in milliseconds.
 */
import { UnsupportedImageError } from './errors';

export const MAX_IMAGE_PIXELS = 2 ** 27;

const megapixels = (pixels: number) => `${(pixels / 1e6).toFixed(1)} Mpx`;

/** Throws UnsupportedImageError when width × height is beyond MAX_IMAGE_PIXELS. */
export function checkImagePixels(width: number, height: number, what = 'the image'): void {
  const pixels = width * height;
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new UnsupportedImageError(
      `${what} is ${width}×${height} pixels (${megapixels(pixels)}), above the ${megapixels(MAX_IMAGE_PIXELS)} limit ` +
        `(2^27 pixels, 512 MiB as RGBA); downscale it first`,
    );
  }
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
const i32le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/**
 * [width, height] from the first bytes of an encoded image (PNG, JPEG, GIF, WebP, BMP), or
 * undefined when the format is unknown or the header lies beyond `bytes` (a JPEG's frame header
 * follows its metadata, so pass the first 256 KiB or so).
 */
export function encodedImageSize(bytes: Uint8Array): [number, number] | undefined {
  const n = bytes.length;
  if (n >= 24 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG' && ascii(bytes, 12, 4) === 'IHDR') return [u32be(bytes, 16), u32be(bytes, 20)];
  if (n >= 10 && ascii(bytes, 0, 3) === 'GIF') return [u16le(bytes, 6), u16le(bytes, 8)];
  if (n >= 26 && ascii(bytes, 0, 2) === 'BM') return [Math.abs(i32le(bytes, 18)), Math.abs(i32le(bytes, 22))];
  if (n >= 30 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const chunk = ascii(bytes, 12, 4);
    if (chunk === 'VP8X') return [u24le(bytes, 24) + 1, u24le(bytes, 27) + 1];
    if (chunk === 'VP8L' && bytes[20] === 0x2f) {
      const bits = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24);
      return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
    }
    if (chunk === 'VP8 ') return [u16le(bytes, 26) & 0x3fff, u16le(bytes, 28) & 0x3fff];
    return undefined;
  }
  if (n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // Walk the markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC).
    let i = 2;
    while (i + 9 < n) {
      if (bytes[i] !== 0xff) return undefined;
      const marker = bytes[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return [u16be(bytes, i + 7), u16be(bytes, i + 5)];
      if (marker === 0xd9 || marker === 0xda) return undefined;
      i += 2 + u16be(bytes, i + 2);
    }
  }
  return undefined;
}
