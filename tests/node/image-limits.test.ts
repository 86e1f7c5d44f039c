import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { UnsupportedImageError } from '../../src/errors';
import { checkImagePixels, encodedImageSize, MAX_IMAGE_PIXELS } from '../../src/image-limits';
import { decodeImage } from '../../src/cli/image';

// The one image-size rule (2^27 pixels, any shape), read from encoded headers before decoding.
const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const le16 = (v: number) => [v & 0xff, v >> 8];
const le24 = (v: number) => [v & 0xff, (v >> 8) & 0xff, v >> 16];
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

describe('image size limit', () => {
  it('accepts up to 2^27 pixels in any shape and names the size beyond', () => {
    expect(MAX_IMAGE_PIXELS).toBe(134_217_728);
    for (const [w, h] of [[8000, 8000], [20_000, 1000], [16_384, 8192], [MAX_IMAGE_PIXELS, 1], [1, MAX_IMAGE_PIXELS]]) expect(() => checkImagePixels(w!, h!)).not.toThrow();
    expect(() => checkImagePixels(16_384, 8193)).toThrow(UnsupportedImageError);
    expect(() => checkImagePixels(16_384, 16_384, 'photo.png')).toThrow(/photo\.png is 16384×16384 pixels \(268\.4 Mpx\), above the 134\.2 Mpx limit/);
  });

  it('reads the size from PNG, JPEG (after metadata), GIF, BMP and WebP headers', () => {
    const png = bytes([0x89], 'PNG', [13, 10, 26, 10, 0, 0, 0, 13], 'IHDR', [0, 0, 0x4e, 0x20, 0, 0, 0x03, 0xe8], [8, 6, 0, 0, 0]);
    expect(encodedImageSize(png)).toEqual([20_000, 1000]);
    // A real JPEG, with a 70 KB APP1 segment ahead of its frame header.
    const image = jpeg.encode({ width: 37, height: 23, data: new Uint8Array(37 * 23 * 4).fill(128) }, 90).data;
    const app1 = [0xff, 0xe1, ...[(65_000 + 2) >> 8, (65_000 + 2) & 0xff], ...new Array(65_000).fill(0)];
    const withMetadata = new Uint8Array([...image.subarray(0, 2), ...app1, ...image.subarray(2)]);
    expect(encodedImageSize(image)).toEqual([37, 23]);
    expect(encodedImageSize(withMetadata)).toEqual([37, 23]);
    expect(encodedImageSize(withMetadata.subarray(0, 1000))).toBeUndefined();
    expect(encodedImageSize(bytes('GIF89a', le16(640), le16(480), [0, 0, 0]))).toEqual([640, 480]);
    expect(encodedImageSize(bytes('BM', new Array(16).fill(0), le32(300), le32(-200 >>> 0), [1, 0, 32, 0]))).toEqual([300, 200]);
    const riff = (chunk: string, body: number[]) => bytes('RIFF', le32(4 + 8 + body.length), 'WEBP', chunk, le32(body.length), body);
    expect(encodedImageSize(riff('VP8X', [0, 0, 0, 0, ...le24(4999), ...le24(2999)]))).toEqual([5000, 3000]);
    const vp8lBits = (4999) | (2999 << 14);
    expect(encodedImageSize(riff('VP8L', [0x2f, ...le32(vp8lBits), 0, 0, 0, 0, 0]))).toEqual([5000, 3000]);
    expect(encodedImageSize(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(5000), ...le16(3000)]))).toEqual([5000, 3000]);
    expect(encodedImageSize(bytes('not an image at all, really'))).toBeUndefined();
  });

  it('the CLI decoder refuses an oversized JPEG from its header, before decoding', () => {
    const image = jpeg.encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(200) }, 90).data;
    const sof = image.findIndex((b, i) => b === 0xff && image[i + 1] === 0xc0);
    const big = new Uint8Array(image);
    big.set([0x40, 0x00, 0x40, 0x00], sof + 5); // height, width = 16 384
    const t0 = performance.now();
    expect(() => decodeImage(big, 'big.jpg')).toThrow(/big\.jpg is 16384×16384 pixels/);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
