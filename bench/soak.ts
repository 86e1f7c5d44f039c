/**
 * Soak: many detections in a row with the default weights, printing memory series (start,
 * middle, end): in Node through the engine directly (RSS, V8 heap, live GPU buffers counted by
 * wrapping createBuffer/destroy), and in Debian Chromium through createDetector (RSS of the
 * browser's processes, the page's JS heap, the worker's live GPU buffers).
 *   npm run soak [-- --node N] [--browser N] [--port P]     (defaults: 1000 and 200)
 * Each run alternates plain calls and calls that return gates (two plans); the series starts after
 * one of each, so any growth after that is a leak. Exits 1 if the GPU buffer count grew.
 * Writes bench-results/soak-<timestamp>.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';
import { decodeImage } from '../src/cli/image';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import { DetectorEngine } from '../src/model/engine';
import { GpuBufferCensus } from '../src/worker/gpu-buffer-census';
import type {} from '../e2e/lifecycle/page';
import { describeSeries, nodeSample, soak, startMiddleEnd, type SoakSeries } from './soak-series';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer`);
  return n;
}

async function nodeSoak(iterations: number): Promise<SoakSeries> {
  const runtime = await createNodeRuntime();
  const census = new GpuBufferCensus();
  census.watch(runtime.device);
  const engine = await DetectorEngine.load(runtime, readFileSync(path.join(root, 'weights/default/model.dhw')), { warmup: { taps: true } });
  const image = decodeImage(new Uint8Array(readFileSync(path.join(root, 'demo/samples/shapes-val-000000.png'))));
  try {
    await engine.detect(image);
    await engine.detect(image, { returnGates: true });
    const counts = new Set<number>();
    const series = await soak(
      'Node, DetectorEngine (process RSS, V8 heap)',
      iterations,
      async (i) => counts.add((await engine.detect(image, { returnGates: i % 2 === 1 })).detections.length),
      nodeSample(() => census.current),
    );
    if (counts.size !== 1) throw new Error(`the detections changed during the soak: ${[...counts].join(', ')}`);
    return series;
  } finally {
    engine.dispose();
    const left = census.current;
    console.log(`Node: after dispose, ${left.buffers} GPU buffers (${left.bytes} bytes) left alive`);
    runtime.destroy();
  }
}

/** Resident bytes of this process's Chromium descendants (a sum: shared pages count once per process). */
function browserRss(): number {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // the process ended
    }
  }
  let bytes = 0;
  for (const [pid, name] of names) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== process.pid) p = parent.get(p);
    if (p !== process.pid || !/chrom/i.test(name)) continue;
    try {
      bytes += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
    } catch {
      // the process ended
    }
  }
  return bytes;
}

async function browserSoak(iterations: number, port: number): Promise<SoakSeries> {
  const server = await createServer({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', server: { port, strictPort: true, host: '127.0.0.1' } });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'], headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.exposeFunction('soakRss', () => browserRss());
    await page.goto(`http://127.0.0.1:${port}/e2e/lifecycle/index.html`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 120_000 });
    const every = Math.max(1, Math.floor(iterations / 20));
    const series = await page.evaluate(([n, e]) => window.lifecycle.soak(n, e), [iterations, every] as const);
    if (new Set(series.detections).size !== 1) throw new Error(`the detections changed during the soak: ${[...new Set(series.detections)].join(', ')}`);
    return series;
  } finally {
    await browser.close();
    await server.close();
  }
}

export async function main(args: readonly string[]): Promise<number> {
  const nodeRuns = option(args, '--node', 1000);
  const browserRuns = option(args, '--browser', 200);
  const port = option(args, '--port', 4176);
  const results: SoakSeries[] = [];
  if (nodeRuns > 0) {
    const s = await nodeSoak(nodeRuns);
    console.log(describeSeries(s));
    results.push(s);
  }
  if (browserRuns > 0) {
    const s = await browserSoak(browserRuns, port);
    console.log(describeSeries(s));
    results.push(s);
  }
  const dir = path.join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 1));
  console.log(`wrote ${path.relative(root, file)}`);
  const grew = results.filter((s) => {
    const [start, , end] = startMiddleEnd(s);
    return end.gpuBuffers !== start.gpuBuffers || end.gpuMiB !== start.gpuMiB;
  });
  for (const s of grew) console.error(`${s.label}: live GPU buffers grew during the soak`);
  return grew.length === 0 ? 0 : 1;
}
