import { expect, test } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';

// Chromium on Linux without --enable-unsafe-webgpu exposes navigator.gpu but gives no adapter:
// a real browser state, not a simulation.
test.use({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') } });

test('without an adapter the demo shows the AdapterUnavailableError panel', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
  await expect(page.locator('body')).toHaveAttribute('data-error-name', 'AdapterUnavailableError');
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error-title')).toHaveText('No WebGPU adapter');
  await expect(page.locator('#error-message')).toContainText('No WebGPU adapter could be obtained');
  // The controls stay, and the panel offers a retry.
  await expect(page.locator('#controls')).toBeVisible();
  await expect(page.locator('#error-retry')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('demo-no-adapter.png') });
});
