/**
 * Weights load benchmark page (driven by bench/weights-load.ts). Loads `?url=` with the streaming
 * loader into GPU buffers (EngineWeightSink) and records the wall time and the JS heap while it
 * runs, either on this page's main thread (`mode=main`, default) or in a dedicated Worker
 * (`mode=worker`: this same module is the worker script). The result lands in `window.weightsLoad`.
 */
import { GpuRuntime } from '../../src/gpu/runtime';
import { EngineWeightSink } from '../../src/model/weight-sink';
import type { Tensor } from '../../src/ops/tensor';
import type { TensorInfo } from '../../src/weights/format';
import { loadWeights } from '../../src/weights/loader';
import type { TensorSink } from '../../src/weights/sink';

export interface HeapSample {
  /** ms since the load started. */
  readonly t: number;
  readonly used: number;
  readonly where: 'timer' | 'progress' | 'finish';
}

export interface WeightsLoadResult {
  readonly mode: 'main' | 'worker';
  readonly url: string;
  readonly fileBytes: number;
  readonly tensorCount: number;
  readonly largestTensor: { name: string; shape: readonly number[]; dtype: string; byteLength: number };
  readonly f16Tensors: number;
  readonly adapter: Record<string, string>;
  readonly shaderF16: boolean;
  /** ms: fetch start → loadWeights resolved. */
  readonly parseMs: number;
  /** ms: fetch start → queue.onSubmittedWorkDone() after the last tensor (all tensors on the GPU). */
  readonly wallMs: number;
  readonly mbPerS: number;
  /** performance.memory is available in this context. */
  readonly heapAvailable: boolean;
  readonly heapBaseline?: number;
  readonly heapPeak?: number;
  readonly heapPeakAtMs?: number;
  readonly heapPeakWhere?: string;
  /** Heap right after the load (garbage not yet collected) and after a forced gc(). */
  readonly heapAfterLoad?: number;
  readonly heapAfterGc?: number;
  readonly samples: number;
  readonly heapSeries: HeapSample[];
  readonly gcExposed: boolean;
  /** gc() was forced after every tensor (diagnostic: live memory instead of uncollected garbage). */
  readonly gcPerTensor: boolean;
  readonly crossOriginIsolated: boolean;
  /** performance.measureUserAgentSpecificMemory() bytes before / after the load (null: not available). */
  readonly uasmBefore: number | null;
  readonly uasmAfter: number | null;
  readonly uasmNote?: string;
}

export type PageMessage = { type: 'result'; result: WeightsLoadResult } | { type: 'fatal'; message: string };

type Gc = () => void;
const gcFn = (globalThis as { gc?: Gc }).gc;
const heap = (): number | undefined =>
  (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function uasm(): Promise<{ bytes: number | null; note?: string }> {
  const f = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> })
    .measureUserAgentSpecificMemory;
  if (typeof f !== 'function') return { bytes: null, note: 'measureUserAgentSpecificMemory is not defined here' };
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) return { bytes: null, note: 'not cross-origin isolated' };
  try {
    const r = await Promise.race([f.call(performance), sleep(30_000).then(() => null)]);
    return r ? { bytes: r.bytes } : { bytes: null, note: 'measureUserAgentSpecificMemory timed out (30 s)' };
  } catch (e) {
    return { bytes: null, note: `measureUserAgentSpecificMemory failed: ${(e as Error).message}` };
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gcFn?.();
    await sleep(50);
  }
}

export async function measure(url: string, mode: 'main' | 'worker', gcPerTensor = false): Promise<WeightsLoadResult> {
  const runtime = await GpuRuntime.create();
  const adapterInfo: Record<string, string> = {};
  const adapter = await navigator.gpu.requestAdapter();
  for (const key of ['vendor', 'architecture', 'device', 'description'] as const) {
    const v = (adapter?.info as unknown as Record<string, unknown> | undefined)?.[key];
    if (v !== undefined && v !== '') adapterInfo[key] = String(v);
  }
  const scope = runtime.scope('weights');
  await settle();
  const before = await uasm();
  await settle();
  const heapAvailable = heap() !== undefined;
  const baseline = heap();

  const series: HeapSample[] = [];
  let peak = baseline ?? 0;
  let peakAt = 0;
  let peakWhere = 'baseline';
  let t0 = performance.now();
  const sample = (where: HeapSample['where']) => {
    const used = heap();
    if (used === undefined) return;
    const t = performance.now() - t0;
    series.push({ t, used, where });
    if (used > peak) [peak, peakAt, peakWhere] = [used, t, where];
  };
  // The sink under test, wrapped only to sample the heap right after each tensor's finish(): the
  // moment its whole-tensor staging copy, the f32 values and the re-laid-out array are all alive.
  const inner = new EngineWeightSink(scope);
  const sink: TensorSink<Tensor> = {
    open(info: TensorInfo) {
      const w = inner.open(info);
      return {
        write: (chunk) => w.write(chunk),
        finish: () => {
          const r = w.finish();
          sample('finish');
          // Diagnostic: collect this tensor's staging arrays right away, so the next tensor's peak
          // shows what one tensor costs rather than garbage accumulated since the last GC.
          if (gcPerTensor) gcFn?.();
          return r;
        },
      };
    },
    abort: () => inner.abort(),
  };
  const timer = setInterval(() => sample('timer'), 20);
  t0 = performance.now();
  let parseMs: number;
  let wallMs: number;
  let loaded;
  try {
    loaded = await loadWeights(url, { upload: sink, onProgress: () => sample('progress') });
    parseMs = performance.now() - t0;
    await runtime.device.queue.onSubmittedWorkDone();
    wallMs = performance.now() - t0;
    sample('timer');
  } finally {
    clearInterval(timer);
  }
  const afterLoad = heap();
  await settle();
  const afterGc = heap();
  const after = await uasm();

  const tensors = loaded.header.tensors;
  const largest = tensors.reduce((a, b) => (b.byteLength > a.byteLength ? b : a));
  const result: WeightsLoadResult = {
    mode,
    url,
    fileBytes: loaded.byteLength,
    tensorCount: tensors.length,
    largestTensor: { name: largest.name, shape: largest.shape, dtype: largest.dtype, byteLength: largest.byteLength },
    f16Tensors: tensors.filter((t) => t.dtype === 'f16').length,
    adapter: adapterInfo,
    shaderF16: runtime.capabilities.f16,
    parseMs,
    wallMs,
    mbPerS: loaded.byteLength / 1e6 / (wallMs / 1000),
    heapAvailable,
    heapBaseline: baseline,
    heapPeak: heapAvailable ? peak : undefined,
    heapPeakAtMs: heapAvailable ? peakAt : undefined,
    heapPeakWhere: heapAvailable ? peakWhere : undefined,
    heapAfterLoad: afterLoad,
    heapAfterGc: afterGc,
    samples: series.length,
    heapSeries: series,
    gcExposed: gcFn !== undefined,
    gcPerTensor,
    crossOriginIsolated: Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated),
    uasmBefore: before.bytes,
    uasmAfter: after.bytes,
    uasmNote: before.note ?? after.note,
  };
  scope.dispose();
  return result;
}

declare global {
  interface Window {
    weightsLoad: { messages: PageMessage[]; finished: boolean };
  }
}

const isWorker = typeof window === 'undefined';
if (isWorker) {
  self.onmessage = async (event: MessageEvent<{ url: string; gcPerTensor: boolean }>) => {
    let message: PageMessage;
    try {
      message = { type: 'result', result: await measure(event.data.url, 'worker', event.data.gcPerTensor) };
    } catch (e) {
      message = { type: 'fatal', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    (self as unknown as Worker).postMessage(message);
  };
} else {
  window.weightsLoad = { messages: [], finished: false };
  const log = document.getElementById('log')!;
  const push = (message: PageMessage) => {
    window.weightsLoad.messages.push(message);
    log.textContent += `${message.type === 'fatal' ? `FATAL ${message.message}` : 'done'}\n`;
    window.weightsLoad.finished = true;
  };
  const query = new URLSearchParams(location.search);
  const url = query.get('url');
  const mode = query.get('mode') === 'worker' ? 'worker' : 'main';
  const gcPerTensor = query.get('gc') === 'tensor';
  if (!url) push({ type: 'fatal', message: 'no ?url= given' });
  else if (mode === 'worker') {
    const worker = new Worker(new URL('./page.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<PageMessage>) => push(event.data);
    worker.onerror = (event) => push({ type: 'fatal', message: `worker error: ${event.message}` });
    worker.postMessage({ url, gcPerTensor });
  } else {
    // Start after the page has settled, so the baseline is not the module graph still loading.
    setTimeout(() => {
      measure(url, 'main', gcPerTensor).then(
        (result) => push({ type: 'result', result }),
        (e: unknown) => push({ type: 'fatal', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
      );
    }, 200);
  }
}
