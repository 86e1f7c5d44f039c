import { expect, test } from '@playwright/test';
import { PNG } from 'pngjs';
import type { EncodedCase } from './image-input/page';
import type { ImageInputReport } from './image-input/protocol';

// The browser's zero-copy input: a PNG decoded by Chromium into an ImageBitmap
// (premultiplyAlpha 'none', colorSpaceConversion 'none'), copied by the GPU into an rgba8unorm
// texture and resampled from there (no OffscreenCanvas read-back). The network input the engine
// builds in a Worker must equal the CPU reference on the bytes the PNG holds, bit for bit,
// including pixels whose alpha is below 255 (alpha is ignored: the official pipeline reads RGB).

function pseudoRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

function makeCase(name: string, width: number, height: number, seed: number, alpha: (x: number, y: number) => number): EncodedCase {
  const next = pseudoRandom(seed);
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      // Noise over a gradient: every byte value occurs, and neighbours differ.
      rgba[i] = (next() + x) & 255;
      rgba[i + 1] = (next() + y * 3) & 255;
      rgba[i + 2] = next();
      rgba[i + 3] = alpha(x, y);
    }
  }
  const png = new PNG({ width, height, colorType: 6, inputColorType: 6 });
  png.data = rgba;
  const encoded = PNG.sync.write(png, { colorType: 6, inputColorType: 6 });
  return { name, width, height, png: encoded.toString('base64'), rgba: rgba.toString('base64') };
}

test('an ImageBitmap reaches the network input through a GPU texture with its exact bytes (Worker, default model)', async ({ page }) => {
  const cases = [
    // Default model: min = max = 160. Upscaled 61×97 → 101×160, with translucent pixels (alpha 1..254).
    makeCase('upscale, translucent', 97, 61, 1, (x, y) => 1 + ((x * 7 + y * 13) % 254)),
    // Downscaled (anti-aliased) 480×640 → 160×213 → capped 120×160, opaque.
    makeCase('downscale, opaque', 640, 480, 2, () => 255),
    // Mixed alpha, including fully transparent pixels, 200×300 → 107×160.
    makeCase('downscale, alpha 0..255', 300, 200, 3, (x, y) => ((x + y) % 5 === 0 ? 0 : (x * y) & 255)),
    // Same size as the network input: the pure copy + normalise path.
    makeCase('identity 160×160', 160, 160, 4, (x) => (x % 2 ? 255 : 128)),
  ];
  await page.goto('/e2e/image-input/index.html');
  await page.evaluate((c) => window.startImageInput(c), cases);
  await page.waitForFunction(() => window.imageInput?.done === true, undefined, { timeout: 300_000, polling: 250 });
  const result = await page.evaluate(() => window.imageInput);
  expect(result.error).toBeUndefined();
  const reports = result.reports as ImageInputReport[];
  for (const r of reports) {
    console.log(
      `${r.name}: ${r.width}×${r.height} → ${r.resized[1]}×${r.resized[0]}, ${r.translucent} translucent px; network input ${r.inputValues} values, ` +
        `${r.inputMismatches} differ from the CPU reference${r.firstMismatch ? ` (${r.firstMismatch})` : ''}; ${r.detections} detections ` +
        `(same as from the bytes: ${r.sameAsBytes}); preprocess pass ${r.preprocessMs?.toFixed(1) ?? '?'} ms, detect ${r.detectMs.toFixed(0)} ms`,
    );
  }
  expect(reports.map((r) => r.name)).toEqual(cases.map((c) => c.name));
  for (const r of reports) {
    expect(r.inputMismatches, `${r.name}: ${r.firstMismatch}`).toBe(0);
    expect(r.sameAsBytes, r.name).toBe(true);
  }
  expect(reports[0]!.translucent).toBe(97 * 61);
});
