/**
 * Large PNGs for the demo's image tests, written in the test process without holding RGBA in
 * memory: 8-bit RGB rows from a callback; a row identical (same object) to the one before is
 * written with PNG's "Up" filter (all zeros), so blocky images compress to a few MB.
 */
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes a width × height RGB PNG whose row y is `row(y)` (width · 3 bytes). */
export function encodeRgbPng(width: number, height: number, row: (y: number) => Uint8Array): Buffer {
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height);
  let previous: Uint8Array | undefined;
  for (let y = 0; y < height; y++) {
    const r = row(y);
    if (r.length !== width * 3) throw new Error(`row ${y} has ${r.length} bytes, expected ${width * 3}`);
    if (r === previous) raw[y * stride] = 2; // Up: the row minus the one above, all zeros
    else raw.set(r, y * stride + 1); // None
    previous = r;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG file's RGB pixels (pngjs decodes to RGBA; alpha dropped). */
export function readRgb(png: Buffer): { width: number; height: number; rgb(x: number, y: number): [number, number, number] } {
  const image = PNG.sync.read(png);
  return {
    width: image.width,
    height: image.height,
    rgb: (x, y) => {
      const o = (y * image.width + x) * 4;
      return [image.data[o]!, image.data[o + 1]!, image.data[o + 2]!];
    },
  };
}

/** `image` enlarged `factor` times by pixel repetition (nearest neighbour). */
export function enlargedPng(image: ReturnType<typeof readRgb>, factor: number): Buffer {
  const rows = Array.from({ length: image.height }, (_, sy) => {
    const r = new Uint8Array(image.width * factor * 3);
    for (let x = 0; x < image.width * factor; x++) r.set(image.rgb(Math.floor(x / factor), sy), x * 3);
    return r;
  });
  return encodeRgbPng(image.width * factor, image.height * factor, (y) => rows[Math.floor(y / factor)]!);
}

/**
 * A 20 000 × 1 000 strip the default model can find objects in: at its network input (160 × 8, the
 * long side capped at 160 px) three thin bars about 32 × 6 network pixels, on a background of
 * `sample`'s texture; 125 file pixels per network pixel. Bar colour and background come from the
 * shapes sample `shapes-val-000001` (its purple bar at (130, 131), its teal background rows).
 */
export function thinBarsStripPng(sample: ReturnType<typeof readRgb>): Buffer {
  const width = 20_000;
  const netRow = (ny: number) => {
    const r = new Uint8Array(width * 3);
    for (let x = 0; x < width; x++) {
      const nx = x / 125;
      const bar = ny >= 1 && ny < 7 && [10, 60, 110].some((b) => nx >= b && nx < b + 32);
      r.set(bar ? sample.rgb(130, 131) : sample.rgb((Math.floor(nx) % 60) + 5, 60 + ny), x * 3);
    }
    return r;
  };
  const rows = Array.from({ length: 8 }, (_, ny) => netRow(ny));
  return encodeRgbPng(width, 1000, (y) => rows[Math.floor(y / 125)]!);
}
