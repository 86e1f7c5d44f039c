import { expect, test } from '@playwright/test';
import type { HarnessMessage } from './harness/protocol';

test('a worker without navigator.gpu gets WebGPUUnavailableError with its message', async ({ page }) => {
  await page.goto('/e2e/harness/index.html?suite=runtime&hide-gpu=1');
  await page.waitForFunction(() => window.harness?.finished === true);
  const messages = (await page.evaluate(() => window.harness.messages)) as HarnessMessage[];
  expect(messages).toContainEqual(
    expect.objectContaining({
      type: 'fatal',
      errorName: 'WebGPUUnavailableError',
      message: expect.stringMatching(/^WebGPU is not available .*browser with WebGPU enabled/),
    }),
  );
});

test('the demo page reports the adapter', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('#adapter-info')).toContainText('timestamp-query');
  await page.screenshot({ path: test.info().outputPath('demo-adapter.png') });
});
