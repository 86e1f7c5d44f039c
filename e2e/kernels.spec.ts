import { readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { HarnessMessage } from './harness/protocol';

// One Playwright test per kernel suite file: the page starts a dedicated Worker that runs the
// same cases as tests/node/kernels.test.ts, on Chromium's WebGPU.
const suites = readdirSync(new URL('../tests/kernels/', import.meta.url))
  .filter((f) => f.endsWith('.cases.ts'))
  .map((f) => f.replace(/\.cases\.ts$/, ''))
  .sort();

for (const suite of suites) {
  test(`kernel suite "${suite}" passes in a Chromium Worker`, async ({ page }) => {
    await page.goto(`/e2e/harness/index.html?suite=${suite}`);
    await page.waitForFunction(() => window.harness?.finished === true, undefined, { timeout: 540_000, polling: 250 });
    const messages = (await page.evaluate(() => window.harness.messages)) as HarnessMessage[];
    const fatal = messages.find((m) => m.type === 'fatal');
    expect(fatal, JSON.stringify(fatal)).toBeUndefined();
    const cases = messages.filter((m): m is Extract<HarnessMessage, { type: 'case' }> => m.type === 'case');
    for (const c of cases) {
      test.info().annotations.push({ type: c.ok ? 'pass' : 'FAIL', description: `${c.name} (${c.ms.toFixed(0)} ms)` });
    }
    expect(cases.length, 'the suite ran no case').toBeGreaterThan(0);
    expect(cases.filter((c) => !c.ok).map((c) => `${c.name}: ${c.error}`)).toEqual([]);
  });
}
