/**
 * Lifecycle and soak page (e2e/lifecycle.spec.ts, bench/soak.ts): the public API from the
 * sources, the default weights and a sample image, plus two scripted runs whose results come back
 * to Playwright: dispose during a detect with three queued, and a soak series.
 */
import { createDetector, EngineDisposedError, type Detector } from '../../src/index';
import type { DisposeReport, WorkerStats } from '../../src/api/worker-protocol';
import sampleUrl from '../../demo/samples/shapes-val-000000.png?url';
import weightsUrl from '../../weights/default/model.dhw?url';
import type { SoakSample, SoakSeries } from '../../bench/soak-series';

type DebugDetector = Detector & { debugStats(): Promise<WorkerStats>; debugDisposeReport: DisposeReport | undefined };

export interface DisposeRun {
  /** ms from dispose() to each call's settling, in call order. */
  readonly settleMs: number[];
  readonly outcomes: string[];
  /** ms until dispose()'s promise resolved (the worker stopped). */
  readonly disposeMs: number;
  readonly report: DisposeReport | undefined;
  readonly pendingBefore: number;
  readonly afterwards: string;
  readonly newDetections: number;
}

const log = document.getElementById('log')!;
const say = (line: string) => (log.textContent += `${line}\n`);
const sample = async () => (await fetch(sampleUrl)).blob();

async function disposeDuringDetect(): Promise<DisposeRun> {
  const png = await sample();
  const detector = (await createDetector({ weights: weightsUrl, cache: false })) as DebugDetector;
  await detector.detect(png);
  const bitmaps = await Promise.all([0, 1, 2, 3].map(() => createImageBitmap(png)));
  const calls = bitmaps.map((b) => detector.detect(b));
  // Wait until all four are in the worker (one running, three queued).
  let pendingBefore = 0;
  for (let i = 0; i < 200 && pendingBefore < 4; i++) {
    pendingBefore = (await detector.debugStats()).pendingCalls;
    if (pendingBefore < 4) await new Promise((r) => setTimeout(r, 10));
  }
  const t0 = performance.now();
  const settleMs: number[] = [];
  const outcomes = calls.map((c, i) =>
    c.then(
      () => 'resolved',
      (e: unknown) => {
        settleMs[i] = performance.now() - t0;
        return e instanceof EngineDisposedError ? 'EngineDisposedError' : `${(e as Error).name}: ${(e as Error).message}`;
      },
    ),
  );
  const disposing = detector.dispose();
  const settled = await Promise.all(outcomes);
  await disposing;
  const disposeMs = performance.now() - t0;
  const afterwards = await detector.detect(png).then(
    () => 'resolved',
    (e: unknown) => (e as Error).name,
  );
  const fresh = await createDetector({ weights: weightsUrl, cache: false });
  const newDetections = (await fresh.detect(png)).detections.length;
  await fresh.dispose();
  say(`dispose: settled ${settleMs.map((t) => t.toFixed(1)).join(', ')} ms; stopped after ${disposeMs.toFixed(0)} ms`);
  return { settleMs, outcomes: settled, disposeMs, report: detector.debugDisposeReport, pendingBefore, afterwards, newDetections };
}

/**
 * `iterations` detections through createDetector (alternating plain and gate-density calls),
 * sampling the worker's live GPU buffers, this page's JS heap and, when the driver exposes
 * `soakRss` (bench/soak.ts), the browser's RSS. The series starts after one call of each kind, so
 * that both plans exist: growth after that is a leak.
 */
async function soak(iterations: number, every: number): Promise<SoakSeries & { detections: number[] }> {
  const png = await sample();
  const detector = (await createDetector({ weights: weightsUrl, cache: false })) as DebugDetector;
  const samples: SoakSample[] = [];
  const detections: number[] = [];
  const take = async (iteration: number) => {
    const s = await detector.debugStats();
    const pageHeap = (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
    const rss = await window.soakRss?.();
    samples.push({
      iteration,
      rssMiB: rss === undefined ? undefined : rss / 2 ** 20,
      heapMiB: pageHeap === undefined ? undefined : pageHeap / 2 ** 20,
      gpuBuffers: s.liveBuffers.buffers,
      gpuMiB: s.liveBuffers.bytes / 2 ** 20,
    });
  };
  await detector.detect(png);
  await detector.detect(png, { gateDensities: true });
  await take(0);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const r = await detector.detect(png, { gateDensities: i % 2 === 1 });
    detections.push(r.detections.length);
    if ((i + 1) % every === 0 || i + 1 === iterations) await take(i + 1);
  }
  const msPerIteration = (performance.now() - t0) / Math.max(1, iterations);
  await detector.dispose();
  say(`soak: ${iterations} detections, ${msPerIteration.toFixed(0)} ms each`);
  return { label: 'Chromium, createDetector (page JS heap; RSS of all browser processes)', samples, msPerIteration, detections };
}

export interface CanvasRun {
  readonly width: number;
  readonly height: number;
  /** ms from detect() to its settling. */
  readonly ms: number;
  readonly outcome: string;
  readonly detections: number;
  /** The same detector afterwards, on the sample. */
  readonly afterwards: number;
}

/** A canvas of the given size (a gradient with a few shapes) through one detector. */
async function detectCanvas(width: number, height: number): Promise<CanvasRun> {
  const detector = await createDetector({ weights: weightsUrl, cache: false });
  try {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#404040';
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#e0c020';
    g.fillRect(width * 0.2, height * 0.2, width * 0.3, height * 0.3);
    g.beginPath();
    g.arc(width * 0.7, height * 0.7, Math.min(width, height) * 0.15, 0, 2 * Math.PI);
    g.fillStyle = '#2060e0';
    g.fill();
    const t0 = performance.now();
    let outcome = 'resolved';
    let detections = 0;
    try {
      detections = (await detector.detect(canvas)).detections.length;
    } catch (e) {
      outcome = `${(e as Error).name}: ${(e as Error).message}`;
    }
    const ms = performance.now() - t0;
    canvas.width = canvas.height = 0;
    const afterwards = (await detector.detect(await sample())).detections.length;
    return { width, height, ms, outcome, detections, afterwards };
  } finally {
    await detector.dispose();
  }
}

/** The sample PNG with its IHDR claiming width × height (the pixels stay the sample's). */
async function detectPngClaiming(width: number, height: number): Promise<{ ms: number; outcome: string }> {
  const detector = await createDetector({ weights: weightsUrl, cache: false });
  try {
    const bytes = new Uint8Array(await (await sample()).arrayBuffer());
    new DataView(bytes.buffer).setUint32(16, width);
    new DataView(bytes.buffer).setUint32(20, height);
    const t0 = performance.now();
    const outcome = await detector.detect(new Blob([bytes], { type: 'image/png' })).then(
      () => 'resolved',
      (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`,
    );
    return { ms: performance.now() - t0, outcome };
  } finally {
    await detector.dispose();
  }
}

export interface AbortRun {
  readonly load: { readonly outcome: string; readonly ms: number; readonly phase: string | undefined };
  readonly preAborted: string;
  readonly queued: { readonly outcomes: string[]; readonly abortedMs: number; readonly skippedCalls: number };
  readonly afterwards: number;
}

const outcome = (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`;

/** AbortSignal: a load given up mid-way, a detect given up before it starts, one of 4 queued. */
async function abortRuns(): Promise<AbortRun> {
  const controller = new AbortController();
  let phase: string | undefined;
  const t0 = performance.now();
  const loading = createDetector({
    weights: weightsUrl,
    cache: false,
    signal: controller.signal,
    onProgress: (p) => {
      phase = p.phase;
      if (p.phase === 'compiling') controller.abort(new Error('the user left'));
    },
  });
  const load = await loading.then(
    async (d) => {
      await d.dispose();
      return { outcome: 'resolved', ms: performance.now() - t0, phase };
    },
    (e: unknown) => ({ outcome: outcome(e), ms: performance.now() - t0, phase }),
  );
  const detector = (await createDetector({ weights: weightsUrl, cache: false })) as DebugDetector;
  try {
    const png = await sample();
    const preAborted = await detector.detect(png, { signal: AbortSignal.abort() }).then(() => 'resolved', outcome);
    const bitmaps = await Promise.all([0, 1, 2, 3].map(() => createImageBitmap(png)));
    const third = new AbortController();
    const calls = bitmaps.map((b, i) => detector.detect(b, i === 2 ? { signal: third.signal } : {}));
    const settled = calls.map((c) => c.then(() => performance.now(), () => performance.now()));
    // Wait until all four are in the worker (one running, three queued), then give up the third.
    for (let i = 0; i < 200 && (await detector.debugStats()).pendingCalls < 4; i++) await new Promise((r) => setTimeout(r, 10));
    const tAbort = performance.now();
    third.abort();
    const abortedAt = await settled[2]!;
    const outcomes = await Promise.all(calls.map((c) => c.then((r) => `${r.detections.length} detections`, outcome)));
    const stats = await detector.debugStats();
    const afterwards = (await detector.detect(png)).detections.length;
    return { load, preAborted, queued: { outcomes, abortedMs: abortedAt - tAbort, skippedCalls: stats.skippedCalls }, afterwards };
  } finally {
    await detector.dispose();
  }
}

const api = { disposeDuringDetect, soak, detectCanvas, detectPngClaiming, abortRuns };
declare global {
  interface Window {
    lifecycle: typeof api;
    /** Set by bench/soak.ts: bytes resident in the browser's processes. */
    soakRss?: () => Promise<number>;
  }
}
window.lifecycle = api;
document.body.dataset.ready = 'true';
