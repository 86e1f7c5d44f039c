import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, readImageFile, sniffImageFormat } from '../../src/cli/image';
import { UnsupportedImageError } from '../../src/errors';

function gradientRgba(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data.set([(x * 255) / Math.max(width - 1, 1), (y * 255) / Math.max(height - 1, 1), 128, 255], i);
    }
  }
  return data;
}

/** pngjs wants 8-bit samples as bytes and 16-bit samples as a Uint16Array. */
function encodePng(
  width: number,
  height: number,
  data: Uint8Array | Uint16Array,
  options: { colorType?: 0 | 2 | 6; bitDepth?: 8 | 16 } = {},
): Uint8Array {
  const png = new PNG({ width, height, colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputColorType: 6 });
  png.data = data instanceof Uint8Array ? Buffer.from(data) : (data as unknown as Buffer);
  return new Uint8Array(PNG.sync.write(png, { colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputColorType: 6 }));
}

function encodeJpeg(width: number, height: number, data: Uint8Array, quality = 95): Uint8Array {
  return new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
}

function expectUnsupported(fn: () => unknown, mentions: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedImageError);
    expect((error as UnsupportedImageError).code).toBe('UNSUPPORTED_IMAGE');
    expect((error as Error).message).toMatch(mentions);
    return;
  }
  throw new Error('expected an UnsupportedImageError');
}

describe('PNG decoding', () => {
  it('decodes RGBA 8-bit exactly', () => {
    const data = gradientRgba(13, 7);
    data[3] = 17; // a non-opaque pixel survives as is
    const image = decodeImage(encodePng(13, 7, data));
    expect([image.width, image.height]).toEqual([13, 7]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect([...image.data]).toEqual([...data]);
  });

  it('expands RGB and greyscale to RGBA with opaque alpha', () => {
    const data = gradientRgba(5, 4);
    const rgb = decodeImage(encodePng(5, 4, data, { colorType: 2 }));
    expect(rgb.data.length).toBe(5 * 4 * 4);
    expect([...rgb.data.subarray(4, 8)]).toEqual([...data.subarray(4, 8)]);
    const grey = decodeImage(encodePng(5, 4, data, { colorType: 0 }));
    const px = grey.data.subarray(0, 4);
    expect(px[0]).toBe(px[1]);
    expect(px[1]).toBe(px[2]);
    expect(px[3]).toBe(255);
  });

  it('reduces 16-bit PNGs to 8 bits per channel', () => {
    const data = gradientRgba(6, 3);
    const wide = Uint16Array.from(data, (v) => Math.min(v * 257 + 100, 65535)); // low byte not zero
    const image = decodeImage(encodePng(6, 3, wide, { colorType: 6, bitDepth: 16 }));
    expect(image.data.length).toBe(6 * 3 * 4);
    for (let i = 0; i < data.length; i++) expect(Math.abs(image.data[i]! - data[i]!)).toBeLessThanOrEqual(1);
  });

  it('rejects corrupt and truncated PNGs, and absurd sizes from the header', () => {
    const good = encodePng(8, 8, gradientRgba(8, 8));
    expectUnsupported(() => decodeImage(good.subarray(0, 40)), /not a readable PNG/);
    const corrupt = good.slice();
    corrupt[40] ^= 0xff; // inside IDAT: CRC or inflate failure
    expectUnsupported(() => decodeImage(corrupt), /not a readable PNG/);
    const huge = good.slice();
    // Any shape is accepted up to 2^27 pixels: 16 384 × 16 384 is refused from the header,
    // before anything is inflated.
    new DataView(huge.buffer).setUint32(16, 16_384); // IHDR width
    new DataView(huge.buffer).setUint32(20, 16_384); // IHDR height
    expectUnsupported(() => decodeImage(huge), /16384×16384 pixels \(268\.4 Mpx\), above the 134\.2 Mpx limit/);
    const empty = good.slice();
    new DataView(empty.buffer).setUint32(20, 0); // IHDR height
    expectUnsupported(() => decodeImage(empty), /no pixels/);
  });
});

describe('JPEG decoding', () => {
  it('decodes a baseline JPEG to RGBA close to the source', () => {
    const data = gradientRgba(32, 24);
    const image = decodeImage(encodeJpeg(32, 24, data));
    expect([image.width, image.height]).toEqual([32, 24]);
    expect(image.data.length).toBe(32 * 24 * 4);
    let worst = 0;
    for (let i = 0; i < data.length; i++) {
      if (i % 4 === 3) expect(image.data[i]).toBe(255);
      else worst = Math.max(worst, Math.abs(image.data[i]! - data[i]!));
    }
    expect(worst).toBeLessThan(12); // lossy, but a smooth gradient survives closely
  });

  it('rejects corrupt JPEGs', () => {
    const good = encodeJpeg(16, 16, gradientRgba(16, 16));
    expectUnsupported(() => decodeImage(good.subarray(0, 20)), /not a readable JPEG/);
    expectUnsupported(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5])), /not a readable JPEG/);
  });
});

describe('format detection', () => {
  it('sniffs by signature, names unsupported formats, rejects empty and unknown data', () => {
    expect(sniffImageFormat(encodePng(1, 1, new Uint8Array(4)))).toBe('png');
    expect(sniffImageFormat(encodeJpeg(1, 1, new Uint8Array(4)))).toBe('jpeg');
    const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expectUnsupported(() => decodeImage(ascii('GIF89a......')), /GIF; only PNG and JPEG/);
    expectUnsupported(() => decodeImage(ascii('RIFF\0\0\0\0WEBPVP8 ')), /WebP/);
    expectUnsupported(() => decodeImage(ascii('BM..........')), /BMP/);
    expectUnsupported(() => decodeImage(new Uint8Array(0)), /empty/);
    expectUnsupported(() => decodeImage(ascii('hello, world')), /neither PNG nor JPEG/);
  });
});

describe('readImageFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dh-image-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads PNG and JPEG files whatever their extension, and names the file in errors', async () => {
    await writeFile(join(dir, 'a.png'), encodePng(3, 2, gradientRgba(3, 2)));
    await writeFile(join(dir, 'b.dat'), encodeJpeg(4, 4, gradientRgba(4, 4)));
    await writeFile(join(dir, 'c.jpg'), 'not an image');
    expect((await readImageFile(join(dir, 'a.png'))).width).toBe(3);
    expect((await readImageFile(join(dir, 'b.dat'))).height).toBe(4);
    await expect(readImageFile(join(dir, 'c.jpg'))).rejects.toThrow(/c\.jpg is neither PNG nor JPEG/);
    await expect(readImageFile(join(dir, 'missing.png'))).rejects.toThrow(/ENOENT/);
  });
});
