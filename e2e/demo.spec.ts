import { expect, test } from '@playwright/test';
import { canvasStats } from './canvas-stats';
import { longestTask, observeLongTasks } from './long-tasks';

// Main-thread long tasks are measured in a real renderer: when other processes starve the CPU
// (SwiftShader runs the GPU work on the same 2 cores), the renderer can be descheduled for more
// than 50 ms without any blocking code. One retry separates that from a real regression; the
// test runner's summary reports any test that needed it as flaky.
test.describe.configure({ retries: 1 });

// The demo at `/` with the default weights (narrow D4, input 128–192 px: seconds on SwiftShader).
test('the demo loads the default weights, detects on a sample, draws boxes and toggles the gate heatmap', async ({ page }) => {
  await observeLongTasks(page);
  const t0 = Date.now();
  await page.goto('/');
  const body = page.locator('body');
  await expect(body).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  const loadMs = Date.now() - t0;
  await expect(page.locator('#adapter-info')).toContainText('timestamp-query');

  await page.locator('#samples button').first().click();
  await expect(body).toHaveAttribute('data-runs', '1', { timeout: 120_000 });
  const detectMs = Date.now() - t0 - loadMs;
  const count = Number(await body.getAttribute('data-detections'));
  expect(count).toBeGreaterThan(0);
  await expect(page.locator('#detections li')).toHaveCount(count);
  await expect(page.locator('#timings')).toContainText('GPU');
  await expect(page.locator('#densities tbody tr')).toHaveCount(8);
  const plain = await canvasStats(page.locator('#view'));
  expect(plain.width).toBeGreaterThan(0);
  expect(plain.opaque).toBe(plain.width * plain.height);
  expect(plain.colours).toBeGreaterThan(8);
  await page.screenshot({ path: test.info().outputPath('demo-detections.png'), fullPage: true });

  // Heatmap on: the overlay changes the canvas; off again restores it.
  await page.getByLabel('Show where the head computes').check();
  await expect(body).toHaveAttribute('data-heatmap', 'on');
  await page.locator('#heatmap-level').selectOption('p3');
  await expect(page.locator('#heatmap-info')).toContainText('on at');
  const heat = await canvasStats(page.locator('#view'));
  expect(heat.hash).not.toBe(plain.hash);
  await page.screenshot({ path: test.info().outputPath('demo-heatmap.png'), fullPage: true });
  await page.locator('#heatmap-router').selectOption('bbox_subnet.1');
  await page.locator('#heatmap-path').selectOption('scale1');
  await expect(page.locator('#heatmap-info')).toContainText('does not run at this level');
  await page.locator('#heatmap-level').selectOption('p4');
  await expect(page.locator('#heatmap-info')).toContainText('bbox_subnet.1.scale1.gate.p4');
  await page.getByLabel('Show where the head computes').uncheck();
  await expect(body).toHaveAttribute('data-heatmap', 'off');
  expect((await canvasStats(page.locator('#view'))).hash).toBe(plain.hash);

  // Raising the threshold re-filters without running the network again.
  await page.locator('#threshold').fill('0.5');
  expect(Number(await body.getAttribute('data-detections'))).toBeLessThanOrEqual(count);
  await expect(body).toHaveAttribute('data-runs', '1');

  const { max, tasks } = await longestTask(page);
  console.log(`demo: ready in ${loadMs} ms, first detection ${detectMs} ms later, ${count} boxes; longest main-thread task ${max.toFixed(0)} ms (${tasks.length} over 50 ms: ${JSON.stringify(tasks)})`);
  expect(max).toBeLessThanOrEqual(50);
});
