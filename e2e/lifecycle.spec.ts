import { expect, test } from '@playwright/test';
import { describeSeries, startMiddleEnd } from '../bench/soak-series';
import type {} from './lifecycle/page';

// The detector's lifecycle through the real worker in Chromium (the same logic runs in Node in
// tests/node/reliability.test.ts): dispose during a detect with three queued, and a short soak
// (the long one is `npm run soak`).
test('dispose during a detect with 3 queued: all settle with EngineDisposedError within 1 s, the worker stops, a new detector works', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const closed: string[] = [];
  page.on('worker', (w) => w.on('close', () => closed.push(w.url())));
  await page.goto('/e2e/lifecycle/index.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const run = await page.evaluate(() => window.lifecycle.disposeDuringDetect());
  console.log(`lifecycle: ${JSON.stringify(run)}`);
  expect(errors).toEqual([]);
  expect(run.pendingBefore).toBe(4);
  expect(run.outcomes).toEqual(['EngineDisposedError', 'EngineDisposedError', 'EngineDisposedError', 'EngineDisposedError']);
  expect(Math.max(...run.settleMs)).toBeLessThan(1000);
  // The worker freed everything after the running call, then was stopped.
  expect(run.report, 'the worker answered dispose()').toBeDefined();
  expect(run.report!.liveBuffers).toEqual({ buffers: 0, bytes: 0 });
  expect(run.afterwards).toBe('EngineDisposedError');
  expect(run.newDetections).toBeGreaterThan(0);
  // Both detectors' workers are gone.
  await expect.poll(() => page.workers().length, { timeout: 10_000 }).toBe(0);
  expect(closed.filter((u) => /engine-worker/.test(u))).toHaveLength(2);
});

test('a short soak through createDetector: GPU buffers stay flat', async ({ page }) => {
  await page.goto('/e2e/lifecycle/index.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const series = await page.evaluate(() => window.lifecycle.soak(8, 4));
  console.log(describeSeries(series));
  const [start, , end] = startMiddleEnd(series);
  expect(series.detections.every((n) => n === series.detections[0] && n > 0)).toBe(true);
  expect(end.gpuBuffers).toBe(start.gpuBuffers);
  expect(end.gpuMiB).toBe(start.gpuMiB);
});

// One size rule everywhere (src/image-limits.ts): up to 2^27 pixels in any shape, resampled
// exactly; beyond, refused from the dimensions before any pixel is copied.
test('image size: a 16384² canvas and a PNG claiming 16384² are refused in < 500 ms; 8000² and 20000×1000 canvases detect', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/e2e/lifecycle/index.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const huge = await page.evaluate(() => window.lifecycle.detectCanvas(16_384, 16_384));
  console.log(`16384² canvas: ${JSON.stringify(huge)}`);
  expect(huge.outcome).toMatch(/^UnsupportedImageError: Unsupported image: the image is 16384×16384 pixels \(268\.4 Mpx\), above the 134\.2 Mpx limit/);
  expect(huge.ms).toBeLessThan(500);
  expect(huge.afterwards).toBeGreaterThan(0);
  const claimed = await page.evaluate(() => window.lifecycle.detectPngClaiming(16_384, 16_384));
  console.log(`PNG header claiming 16384²: ${JSON.stringify(claimed)}`);
  expect(claimed.outcome).toMatch(/^UnsupportedImageError: Unsupported image: the image is 16384×16384 pixels/);
  expect(claimed.ms).toBeLessThan(500);
  for (const [w, h] of [[8000, 8000], [20_000, 1000]] as const) {
    const run = await page.evaluate(([w, h]) => window.lifecycle.detectCanvas(w, h), [w, h] as const);
    console.log(`${w}×${h} canvas: ${JSON.stringify(run)}`);
    expect(run.outcome).toBe('resolved');
    expect(run.afterwards).toBeGreaterThan(0);
  }
});

test('AbortSignal: a load aborted while compiling rejects with AbortError and stops its worker; an aborted queued detect is skipped; the detector stays usable', async ({ page }) => {
  await page.goto('/e2e/lifecycle/index.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const run = await page.evaluate(() => window.lifecycle.abortRuns());
  console.log(`abort: ${JSON.stringify(run)}`);
  expect(run.load.phase).toBe('compiling');
  expect(run.load.outcome).toBe('AbortError: createDetector was aborted (the user left).');
  expect(run.preAborted).toMatch(/^AbortError: detect was aborted/);
  const [a, b, c, d] = run.queued.outcomes;
  expect(c).toMatch(/^AbortError/);
  for (const other of [a, b, d]) expect(other).toMatch(/^[1-9]\d* detections$/);
  expect(run.queued.abortedMs).toBeLessThan(100);
  expect(run.queued.skippedCalls).toBe(1);
  expect(run.afterwards).toBeGreaterThan(0);
  // Both detectors' workers are gone (the aborted load's at once, the other after dispose).
  await expect.poll(() => page.workers().length, { timeout: 10_000 }).toBe(0);
});
