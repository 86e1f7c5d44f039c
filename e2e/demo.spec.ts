import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { cssRgba, heatmapRgba, SKIPPED_RGBA } from '../demo/render';
import { evaluateCoco } from '../src/eval';
import { enlargedPng, readRgb, thinBarsStripPng } from './big-png';
import type { CocoDataset, CocoDetection } from '../src/eval/types';
import { boxIou } from '../tests/harness/box-iou';
import { canvasStats } from './canvas-stats';
import { openDemo, shot, showFirstSample } from './demo-page';
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

// --- issue 18: errors, status, labels, legend, dense vs dynamic, large images, camera ----------


const runsOf = async (page: Page) => Number((await page.locator('body').getAttribute('data-runs')) ?? 0);

test('a bad weights file keeps every control, names the problem and "use the default weights" brings detection back', async ({ page }) => {
  await openDemo(page);
  const body = page.locator('body');
  // With the default weights loaded, the button to go back to them is not shown.
  await expect(page.locator('#weights-default')).toBeHidden();
  await expect(page.locator('#error')).toBeHidden();
  await page.locator('#samples button').first().click();
  await expect(body).toHaveAttribute('data-runs', '1', { timeout: 120_000 });

  // A truncated copy of the real file: the header is fine, the tensors are cut off.
  const real = readFileSync(path.join(root, 'weights/default/model.dhw'));
  await page.locator('#weights-file').setInputFiles({ name: 'truncated.dhw', mimeType: 'application/octet-stream', buffer: real.subarray(0, 100_000) });
  await expect(body).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
  await expect(body).toHaveAttribute('data-error-name', 'WeightsFormatError');
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error-title')).toHaveText('This weights file cannot be used');
  await expect(page.locator('#error-message')).toContainText('Bad weights file');
  // Advice about the file, not about the browser.
  await expect(page.locator('#error-advice')).not.toContainText(/Chrome|Safari|Firefox|WebGPU/);
  // Every control is still there, with the ways back.
  for (const id of ['#controls', '#samples', '#threshold', '#heatmap-toggle', '#drop-zone', '#view']) await expect(page.locator(id)).toBeVisible();
  await expect(page.locator('#error-default')).toBeVisible();
  await expect(page.locator('#error-weights')).toBeVisible();
  await expect(page.locator('#weights-default')).toBeVisible();
  // The old boxes are gone with the old detector, and the status says there is none.
  await expect(body).toHaveAttribute('data-detections', '0');
  await expect(page.locator('#status')).toContainText('No detector');
  await shot(page, 'demo-bad-weights');

  // Not a weights file at all: the same class of error, the same way back.
  await page.locator('#weights-file').setInputFiles({ name: 'photo.dhw', mimeType: 'application/octet-stream', buffer: Buffer.from('GIF89a not weights at all') });
  await expect(body).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
  await expect(body).toHaveAttribute('data-error-name', 'WeightsFormatError');
  await expect(page.locator('#error-message')).toContainText('Bad weights file');

  await page.locator('#error-default').click();
  await expect(body).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  // The image on screen is detected again with the default weights.
  await expect(body).toHaveAttribute('data-runs', '2', { timeout: 120_000 });
  expect(Number(await body.getAttribute('data-detections'))).toBeGreaterThan(0);
  await expect(page.locator('#error')).toBeHidden();
  expect(await body.getAttribute('data-error-name')).toBeNull();
  await expect(page.locator('#weights-default')).toBeHidden();
  await shot(page, 'demo-bad-weights-recovered');

  // An image the browser cannot decode: the detector stays, the panel offers another image.
  await page.locator('#image-file').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n broken') });
  await expect(body).toHaveAttribute('data-error-name', 'UnsupportedImageError', { timeout: 30_000 });
  await expect(body).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#error-image')).toBeVisible();
  await expect(page.locator('#error-default')).toBeHidden();
  await page.locator('#samples button').nth(1).click();
  await expect(body).toHaveAttribute('data-runs', '3', { timeout: 120_000 });
  await expect(page.locator('#error')).toBeHidden();
});

test('the status matches the list, labels stay inside the canvas without overlapping, the legend matches the heatmap, dense vs dynamic side by side', async ({ page }) => {
  const name = await showFirstSample(page);
  const body = page.locator('body');
  const status = page.locator('#status');
  const expectStatusMatches = async (min: string) => {
    const n = await page.locator('#detections li').count();
    expect(Number(await body.getAttribute('data-detections'))).toBe(n);
    await expect(status).toHaveText(new RegExp(`^${n} objects at score ≥ ${min} in ${name} \\(`));
    return n;
  };
  const atDefault = await expectStatusMatches('0.40');
  await page.locator('#threshold').fill('0.05');
  const low = await expectStatusMatches('0.05');
  expect(low).toBeGreaterThan(atDefault);
  await expect(body).toHaveAttribute('data-runs', '1'); // the slider only re-filters

  // Labels: every drawn rectangle inside the canvas, none overlapping another, one per box at most.
  const labels = async () =>
    page.locator('#view').evaluate((c) => ({ width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height, rects: JSON.parse((c as HTMLCanvasElement).dataset.labels ?? '[]') as { index: number; x: number; y: number; width: number; height: number }[] }));
  const drawn = await labels();
  expect(drawn.rects.length).toBeGreaterThan(0);
  expect(drawn.rects.length).toBeLessThanOrEqual(low);
  for (const r of drawn.rects) {
    expect(r.x).toBeGreaterThanOrEqual(0);
    expect(r.y).toBeGreaterThanOrEqual(0);
    expect(r.x + r.width).toBeLessThanOrEqual(drawn.width);
    expect(r.y + r.height).toBeLessThanOrEqual(drawn.height);
  }
  for (const [i, a] of drawn.rects.entries()) {
    for (const b of drawn.rects.slice(i + 1)) {
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      expect(apart, `labels ${a.index} and ${b.index} overlap`).toBe(true);
    }
  }
  expect(new Set(drawn.rects.map((r) => r.index)).size).toBe(drawn.rects.length);
  if (drawn.rects.length < low) await expect(page.locator('#caption')).toContainText(`${low - drawn.rects.length} labels left out`);
  console.log(`labels at 0.05: ${drawn.rects.length} drawn of ${low} boxes on a ${drawn.width}×${drawn.height} canvas`);
  await shot(page, 'demo-labels-low-threshold');
  // A crowded scene through the same drawing code (render.ts, served by Vite): 60 boxes piled
  // up at the edges and in a corner of a small canvas.
  const crowded = await page.evaluate(async () => {
    const url = '/demo/render.ts';
    const { drawScene } = (await import(/* @vite-ignore */ url)) as typeof import('../demo/render');
    const canvas = document.createElement('canvas');
    const image = new OffscreenCanvas(400, 300);
    const detections = Array.from({ length: 60 }, (_, i) => {
      const x = (i * 37) % 420 - 20;
      const y = (i * 23) % 320 - 20;
      return { box: [Math.max(0, x), Math.max(0, y), Math.min(400, x + 30), Math.min(300, y + 25)] as [number, number, number, number], score: 1 - i / 100, classId: i % 6, label: `class-${i % 6}` };
    });
    const drawn = drawScene(canvas, { image, size: { width: 400, height: 300 }, detections }, { width: 200, height: 150 }, 12);
    return { width: canvas.width, height: canvas.height, labels: drawn.labels, unlabelled: drawn.unlabelled };
  });
  expect(crowded.labels.length + crowded.unlabelled).toBe(60);
  expect(crowded.labels.length).toBeGreaterThan(3);
  expect(crowded.unlabelled).toBeGreaterThan(0);
  for (const [i, a] of crowded.labels.entries()) {
    expect(a.x >= 0 && a.y >= 0 && a.x + a.width <= crowded.width && a.y + a.height <= crowded.height, `label ${a.index} inside`).toBe(true);
    for (const b of crowded.labels.slice(i + 1)) expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y).toBe(true);
  }
  console.log(`crowded 200×150 canvas: ${crowded.labels.length} labels drawn, ${crowded.unlabelled} left out of 60 boxes`);

  await page.locator('#threshold').fill('0.90');
  await expectStatusMatches('0.90');
  await page.locator('#threshold').fill('0.40');
  expect(await expectStatusMatches('0.40')).toBe(atDefault);

  // Heatmap: a legend whose colours are the ones the overlay is drawn with, and no "blue" claim.
  await expect(page.locator('#heatmap-legend')).toBeHidden();
  await page.getByLabel('Show where the head computes').check();
  await page.locator('#heatmap-level').selectOption('p3');
  await expect(page.locator('#heatmap-legend')).toBeVisible();
  await expect(page.locator('#heatmap-legend')).toContainText('skipped');
  await expect(page.locator('#heatmap-legend')).toContainText('computed');
  await expect(page.locator('#heatmap-info')).not.toContainText(/blue|warm/);
  const ramp = await page.locator('#legend-ramp').evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, 1).data;
    return { width: canvas.width, pixels: Array.from(data) };
  });
  for (const x of [0, Math.floor(ramp.width / 2), ramp.width - 1]) {
    expect(ramp.pixels.slice(x * 4, x * 4 + 3)).toEqual(heatmapRgba((x + 1) / ramp.width).slice(0, 3));
  }
  expect(await page.locator('#legend-skipped').evaluate((e) => (e as HTMLElement).style.background)).toBe(cssRgba(SKIPPED_RGBA));
  await shot(page, 'demo-heatmap-legend');
  await page.getByLabel('Show where the head computes').uncheck();

  // Dense vs dynamic: the same image through a second detector with sparseCrossover 0.
  await page.getByLabel('Also run the dense head on the same image').check();
  await expect(body).toHaveAttribute('data-dense-runs', '1', { timeout: 180_000 });
  await expect(body).toHaveAttribute('data-runs', '2');
  const rows = await page.locator('#compare-table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (c) => c.textContent ?? '')));
  console.log(`dense vs dynamic: ${JSON.stringify(rows)}; ${await page.locator('#compare-note').textContent()}`);
  expect(rows).toHaveLength(5);
  expect(rows[0]![1]).toMatch(/ms$/);
  expect(rows[0]![2]).toMatch(/ms$/);
  expect(rows[1]![2]).toMatch(/ms$/);
  const macs = (s: string) => Number(s.replace(/ M$/, ''));
  expect(macs(rows[2]![1]!)).toBeLessThan(macs(rows[2]![2]!));
  await expect(page.locator('#compare-note')).toContainText('Same detections');
  await expect(status).toContainText('dense');
  await shot(page, 'demo-dense-vs-dynamic');
});

/** Peak memory while `during` runs: the page's JS heap (CDP Performance) and the RSS of the browser's processes (/proc). */
async function peakMemory<T>(page: Page, during: () => Promise<T>): Promise<{ value: T; jsHeapMiB: number; rssMiB: number; byType: Record<string, number> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const browserCdp = await page.context().browser()!.newBrowserCDPSession();
  let processes: { type: string; id: number }[] = [];
  try {
    processes = ((await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo;
  } catch {
    // not available: RSS is then not reported
  }
  const rss = (pid: number) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let jsHeap = 0;
  let total = 0;
  const byType: Record<string, number> = {};
  let done = false;
  const sample = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    jsHeap = Math.max(jsHeap, (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 2 ** 20);
    let sum = 0;
    for (const p of processes) {
      const r = rss(p.id);
      sum += r;
      byType[p.type] = Math.max(byType[p.type] ?? 0, r);
    }
    total = Math.max(total, sum);
  };
  const loop = (async () => {
    while (!done) {
      await sample().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const value = await during();
    return { value, jsHeapMiB: jsHeap, rssMiB: total, byType };
  } finally {
    done = true;
    await loop;
    await cdp.detach();
    await browserCdp.detach();
  }
}

test('an 8000×8000 PNG and a 20000×1000 PNG chosen in the file input give detections', async ({ page }) => {
  test.setTimeout(900_000);
  await openDemo(page);
  const body = page.locator('body');
  const buttons = page.locator('#samples button');
  await buttons.first().click();
  await expect(body).toHaveAttribute('data-runs', '1', { timeout: 120_000 });
  const small = await listedDetections(page);
  expect(small.length).toBeGreaterThan(0);

  // The first sample enlarged 50× by pixel repetition: the library's exact resize brings it back
  // to the network's 160 px (a slightly blurred copy of the sample), so the same objects come out.
  const sampleName = (await buttons.first().getAttribute('data-sample'))!;
  const sample = readRgb(readFileSync(path.join(root, 'demo/samples', `${sampleName}.png`)));
  const bigFile = test.info().outputPath('8000x8000.png');
  writeFileSync(bigFile, enlargedPng(sample, 50));
  const t0 = Date.now();
  const big = await peakMemory(page, async () => {
    await page.locator('#image-file').setInputFiles(bigFile);
    await expect(body).toHaveAttribute('data-runs', '2', { timeout: 600_000 });
    return Date.now() - t0;
  });
  await expect(body).toHaveAttribute('data-image-size', '8000×8000');
  await expect(page.locator('#caption')).toContainText('shown reduced to 2048×2048');
  const found = await listedDetections(page);
  const matched = small.filter((s) => found.some((f) => f.label === s.label && boxIou(f.box.map((v) => v / 50), s.box) >= 0.5)).length;
  console.log(
    `8000×8000 PNG (${(statSync(bigFile).size / 2 ** 20).toFixed(2)} MiB): detected ${big.value} ms after choosing it, ` +
      `detect ${await body.getAttribute('data-detect-ms')} ms; ${found.length} boxes, ${matched}/${small.length} of the 160 px sample's found; ` +
      `peak JS heap ${big.jsHeapMiB.toFixed(0)} MiB, peak RSS of the browser's processes ${big.rssMiB.toFixed(0)} MiB ${JSON.stringify(Object.fromEntries(Object.entries(big.byType).map(([k, v]) => [k, Math.round(v)])))}`,
  );
  expect(found.length).toBeGreaterThan(0);
  expect(matched).toBeGreaterThanOrEqual(Math.ceil(0.7 * small.length));
  await shot(page, 'demo-8000x8000');

  // 20000×1000: the network sees it at 160×8 (its long side is capped at 160 px), so objects
  // can be at most 8 network pixels high; the shapes model's thin bars (about 30×6) fit
  // (thinBarsStripPng). The model scores such thin-strip objects low (0.1–0.3): the threshold
  // goes down to its own 0.05 for this one.
  const wideFile = test.info().outputPath('20000x1000.png');
  writeFileSync(wideFile, thinBarsStripPng(readRgb(readFileSync(path.join(root, 'demo/samples/shapes-val-000001.png')))));
  await page.locator('#threshold').fill('0.05');
  const t1 = Date.now();
  const wide = await peakMemory(page, async () => {
    await page.locator('#image-file').setInputFiles(wideFile);
    await expect(body).toHaveAttribute('data-runs', '3', { timeout: 600_000 });
    return Date.now() - t1;
  });
  await expect(body).toHaveAttribute('data-image-size', '20000×1000');
  await expect(page.locator('#caption')).toContainText('network input 8×160');
  const strip = await listedDetections(page);
  console.log(
    `20000×1000 PNG (${(statSync(wideFile).size / 2 ** 20).toFixed(2)} MiB): detected ${wide.value} ms after choosing it; ${strip.length} boxes at ≥ 0.05 ` +
      `(best ${strip[0]?.label} ${strip[0]?.score} [${strip[0]?.box}]); peak JS heap ${wide.jsHeapMiB.toFixed(0)} MiB, peak RSS ${wide.rssMiB.toFixed(0)} MiB`,
  );
  expect(strip.length).toBeGreaterThan(0);
  for (const d of strip) {
    expect(d.box[0]).toBeGreaterThanOrEqual(0);
    expect(d.box[2]).toBeLessThanOrEqual(20000);
    expect(d.box[1]).toBeGreaterThanOrEqual(0);
    expect(d.box[3]).toBeLessThanOrEqual(1000);
  }
  // At least one box lies on a drawn bar (x in file pixels: 125 per network pixel).
  expect(strip.some((d) => [10, 60, 110].some((b) => d.box[0]! < (b + 32) * 125 && d.box[2]! > b * 125))).toBe(true);
  await shot(page, 'demo-20000x1000');
});
