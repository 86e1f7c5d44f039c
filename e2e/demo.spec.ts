import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { evaluateCoco } from '../src/eval';
import type { CocoDataset, CocoDetection } from '../src/eval/types';
import { canvasStats } from './canvas-stats';
import { longestTask, observeLongTasks } from './long-tasks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Main-thread long tasks are measured in a real renderer: when other processes starve the CPU
// (SwiftShader runs the GPU work on the same 2 cores), the renderer can be descheduled for more
// than 50 ms without any blocking code. One retry separates that from a real regression; the
// test runner's summary reports any test that needed it as flaky.
test.describe.configure({ retries: 1 });

// The demo at `/` with the default weights (the model trained on the shapes dataset: ResNet-26,
// FPN/head 64, D4, 6 classes, input 160 px: a few seconds per image on SwiftShader).
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

// Warm start: createDetector compiles the plan while loading (a 'compiling' phase in the load
// progress), so the first detection costs about what later ones do (it was 5× before: 12.9 s,
// mostly pipeline compilation shown as "Pre-processing").
test('warm start: the load progress shows the compile phase and the first detection takes at most 1.5× a warm one', async ({ page }) => {
  await page.goto('/');
  const body = page.locator('body');
  await expect(body).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  expect(await body.getAttribute('data-load-phases')).toBe('weights,compiling');
  await expect(page.locator('#load-label')).toHaveText('Compiling');
  await expect(page.locator('#load-text')).toHaveText('compiled');
  await expect(page.locator('#status')).toContainText(/compile \d+\.\d s/);
  const sample = page.locator('#samples button').first();
  const times: { total: number; compile: number }[] = [];
  for (let run = 1; run <= 4; run++) {
    await sample.click();
    await expect(body).toHaveAttribute('data-runs', String(run), { timeout: 120_000 });
    times.push({ total: Number(await body.getAttribute('data-detect-ms')), compile: Number(await body.getAttribute('data-compile-ms')) });
  }
  await expect(page.locator('#timings')).toContainText('Plan compile');
  const [first, ...warm] = times;
  const warmMedian = [...warm].sort((a, b) => a.total - b.total)[1]!.total;
  console.log(
    `warm start: first detection ${first!.total.toFixed(0)} ms (plan compile ${first!.compile.toFixed(0)} ms), ` +
      `warm ${warm.map((t) => t.total.toFixed(0)).join(', ')} ms (median ${warmMedian.toFixed(0)}); ratio ${(first!.total / warmMedian).toFixed(2)}`,
  );
  expect(first!.total).toBeLessThanOrEqual(1.5 * warmMedian);
});

/** The detections the demo lists (`label score [x1, y1, x2, y2]`), in image pixels. */
async function listedDetections(page: Page): Promise<{ label: string; score: number; box: number[] }[]> {
  const lines = await page.locator('#detections li').allTextContents();
  return lines.map((line) => {
    const m = /^(.+) (\d+\.\d+) \[([^\]]+)\]$/.exec(line.trim());
    if (!m) throw new Error(`unexpected detection line "${line}"`);
    return { label: m[1]!, score: Number(m[2]), box: m[3]!.split(',').map(Number) };
  });
}

// The trained default model on every sample image (val images the model never saw, with their
// COCO annotations): COCO AP50 over the samples from what the page lists, plus the boxes the
// page shows at its default threshold. A screenshot of each sample is kept.
test('the demo detects the shapes in every sample image with the trained default weights', async ({ page }) => {
  const gt = JSON.parse(readFileSync(path.join(root, 'demo/samples/shapes-val-annotations.json'), 'utf8')) as CocoDataset;
  const labels = JSON.parse(readFileSync(path.join(root, 'weights/default/labels.json'), 'utf8')) as string[];
  const categoryOf = new Map(gt.categories.map((c) => [c.name!, c.id]));
  expect(labels.map((l) => categoryOf.has(l))).toEqual(labels.map(() => true));

  await page.goto('/');
  const body = page.locator('body');
  await expect(body).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  const defaultThreshold = Number(await page.locator('#threshold').inputValue());
  const buttons = page.locator('#samples button');
  const names = await buttons.evaluateAll((all) => all.map((b) => (b as HTMLElement).dataset.sample!));
  expect(names).toEqual(gt.images.map((im) => im.file_name!.replace(/\.\w+$/, '')));

  const all: CocoDetection[] = [];
  let shownTotal = 0;
  let shownCorrect = 0;
  let found = 0;
  for (const [i, name] of names.entries()) {
    await buttons.nth(i).click();
    await expect(body).toHaveAttribute('data-runs', String(i + 1), { timeout: 120_000 });
    await page.screenshot({ path: test.info().outputPath(`demo-${name}.png`), fullPage: true });
    const image = gt.images[i]!;
    const truth = gt.annotations.filter((a) => a.image_id === image.id);
    // What the page shows at its default threshold: boxes on real objects of their class
    // (IoU ≥ 0.5), and the objects that some shown box finds.
    const shown = await listedDetections(page);
    const matches = (d: (typeof shown)[number], a: (typeof truth)[number]): boolean => {
      if (a.category_id !== categoryOf.get(d.label)) return false;
      const [x1, y1, x2, y2] = d.box as [number, number, number, number];
      const [ax, ay, aw, ah] = a.bbox as [number, number, number, number];
      const inter = Math.max(0, Math.min(x2, ax + aw) - Math.max(x1, ax)) * Math.max(0, Math.min(y2, ay + ah) - Math.max(y1, ay));
      return inter / ((x2 - x1) * (y2 - y1) + aw * ah - inter) >= 0.5;
    };
    for (const d of shown) expect(d.score).toBeGreaterThanOrEqual(defaultThreshold);
    shownTotal += shown.length;
    shownCorrect += shown.filter((d) => truth.some((a) => matches(d, a))).length;
    found += truth.filter((a) => shown.some((d) => matches(d, a))).length;
    // Everything the run returned (the page keeps detections down to the model's 0.05).
    await page.locator('#threshold').fill('0.05');
    for (const d of await listedDetections(page)) {
      const [x1, y1, x2, y2] = d.box as [number, number, number, number];
      all.push({ image_id: image.id, category_id: categoryOf.get(d.label)!, bbox: [x1, y1, x2 - x1, y2 - y1], score: d.score });
    }
    await page.locator('#threshold').fill(String(defaultThreshold));
    await expect(body).toHaveAttribute('data-runs', String(i + 1));
  }
  const { stats } = evaluateCoco(gt, all);
  const precision = shownCorrect / shownTotal;
  const recall = found / gt.annotations.length;
  console.log(
    `demo samples: ${names.length} images, ${gt.annotations.length} objects; AP ${stats.AP.toFixed(3)}, AP50 ${stats.AP50.toFixed(3)} ` +
      `from ${all.length} listed detections; at the default threshold ${defaultThreshold}: ${shownTotal} boxes shown, ` +
      `${shownCorrect} on an object of their class (precision ${precision.toFixed(2)}), ${found} objects found (recall ${recall.toFixed(2)})`,
  );
  // The val split gives AP50 0.91 (tools/train/README.md); an untrained or broken model gives ~0.
  expect(stats.AP50).toBeGreaterThanOrEqual(0.8);
  expect(precision).toBeGreaterThanOrEqual(0.7);
  expect(recall).toBeGreaterThanOrEqual(0.7);
});
