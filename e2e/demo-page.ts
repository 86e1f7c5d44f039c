/** Steps the demo's e2e tests share: open the page, show the first sample, attach screenshots. */
import { expect, test, type Page } from '@playwright/test';

/** Attaches a full-page screenshot to the test (and keeps it in the test's output folder). */
export async function shot(page: Page, name: string): Promise<void> {
  const file = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await test.info().attach(name, { path: file, contentType: 'image/png' });
}

export async function openDemo(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
}

/** Opens the demo and detects on its first sample; returns the sample's name. */
export async function showFirstSample(page: Page): Promise<string> {
  await openDemo(page);
  const sample = page.locator('#samples button').first();
  const name = (await sample.getAttribute('data-sample'))!;
  await sample.click();
  await expect(page.locator('body')).toHaveAttribute('data-runs', '1', { timeout: 120_000 });
  return name;
}
