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
