import { expect, test } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';
import { shot, showFirstSample } from './demo-page';

// Camera mode of the demo with Chromium's fake camera (an animated 640×480 test pattern) and
// the permission prompt answered yes.
test.use({ launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] } });


test('camera mode: the status names the camera and its frame rate, frames are skipped rather than queued', async ({ page }) => {
  const name = await showFirstSample(page);
  const body = page.locator('body');
  await expect(page.locator('#status')).toContainText(name);
  await page.locator('#camera-toggle').click();
  await expect(page.locator('#camera-toggle')).toHaveAttribute('aria-pressed', 'true', { timeout: 30_000 });
  // Three camera frames detected (the count moves on while the camera runs: at least, not exactly).
  await expect.poll(async () => Number(await body.getAttribute('data-runs')), { timeout: 300_000 }).toBeGreaterThanOrEqual(4);
  const status = page.locator('#status');
  await expect(status).toContainText(/^Camera: \d+ objects at score ≥ 0\.40 in the latest frame · [\d.]+ frames\/s detected, \d+ camera frames skipped\.$/);
  await expect(status).not.toContainText(name);
  expect(await body.getAttribute('data-image-size')).toBe('640×480');
  const fps = Number(await body.getAttribute('data-camera-fps'));
  expect(fps).toBeGreaterThan(0);
  // One detection in flight at most: no call ever waited behind another in the worker.
  expect(Number(await body.getAttribute('data-camera-max-queue-ms'))).toBeLessThan(100);
  const skipped = Number(/(\d+) camera frames skipped/.exec((await status.textContent()) ?? '')![1]);
  expect(skipped).toBeGreaterThan(0); // SwiftShader detects far slower than 30 frames/s
  console.log(`camera: ${fps.toFixed(2)} frames/s detected, ${skipped} frames skipped; max queue wait ${await body.getAttribute('data-camera-max-queue-ms')} ms`);
  await shot(page, 'demo-camera');
  await page.locator('#camera-toggle').click();
  await expect(status).toContainText('Camera stopped');
  // Stopped, the last frame's result stays: the status, the badge and the list agree.
  const shown = await page.locator('#detections li').count();
  expect(Number(await body.getAttribute('data-detections'))).toBe(shown);
  await expect(status).toContainText(`Camera stopped: ${shown} objects`);
});
