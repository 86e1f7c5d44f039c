/**
 * `createDetector`: starts the engine worker, streams the weights into it and returns a
 * `Detector` whose calls run in the worker. Typed errors thrown there arrive here as the same
 * classes (see `api/error-transfer.ts`).
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { AbortError, EngineDisposedError, InvalidArgumentError } from '../errors';
import { registerErrorTransfer } from './error-transfer';
import type { DisposeReport, EngineWorkerApi, GateRequest, LoadRequest, ProgressEvent, WorkerStats } from './worker-protocol';
import { toImageBitmap } from './image-bitmap';
import type {
  CreateDetectorOptions,
  DetectOptions,
  DetectResult,
  Detector,
  ImageSource,
  ModelInfo,
  WarmupOptions,
  WarmupResult,
  WeightsInput,
} from './types';

function checkThreshold(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(name, `must be a number in [0, 1], got ${String(value)}`);
  }
}

/** URLs are resolved against the page here: the worker's base URL is its own script's. */
function weightsForWorker(weights: WeightsInput): string | ArrayBuffer | Blob {
  if (weights instanceof ArrayBuffer || weights instanceof Blob) return weights;
  if (typeof weights === 'string' || weights instanceof URL) {
    const base = typeof document !== 'undefined' ? document.baseURI : globalThis.location?.href;
    try {
      return new URL(weights, base).href;
    } catch {
      throw new InvalidArgumentError('weights', `"${String(weights)}" is not a URL`);
    }
  }
  throw new InvalidArgumentError('weights', 'expected a URL, string, ArrayBuffer or Blob');
}

/** How long `dispose()` lets the worker finish its running call and free the GPU before stopping it anyway. */
export const DISPOSE_GRACE_MS = 5000;

type WarmupSize = WarmupOptions['size'];

/** `size` as [height, width] of an image (undefined: the model's default). */
function warmupImageSize(size: WarmupSize): [number, number] | undefined {
  if (size === undefined) return undefined;
  const [height, width] = typeof size === 'number' ? [size, size] : [size?.height, size?.width];
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!ok(height) || !ok(width)) throw new InvalidArgumentError('warmup size', `expected a positive integer or { width, height }, got ${JSON.stringify(size)}`);
  return [height!, width!];
}

/**
 * `promise`, or an AbortError as soon as `signal` fires (then `onAbort` runs once). The work
 * behind `promise` is not interrupted; its outcome is ignored.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.();
    promise.catch(() => undefined);
    return Promise.reject(new AbortError(what, signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(new AbortError(what, signal.reason));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

class WorkerDetector implements Detector {
  private disposed = false;
  private nextCallId = 1;
  private disposal: Promise<void> | undefined;
  private rejectPending!: (error: Error) => void;
  /** Rejects, at dispose(), every call still waiting for the worker. */
  private readonly disposedSignal: Promise<never>;
  /** Testing aid: what the worker freed (undefined until disposed, or if it had to be stopped without answering). */
  debugDisposeReport: DisposeReport | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly remote: Remote<EngineWorkerApi>,
    private readonly failure: Promise<never>,
    readonly model: ModelInfo,
    private readonly scoreThreshold: number | undefined,
  ) {
    this.disposedSignal = new Promise<never>((_, reject) => {
      this.rejectPending = reject;
    });
    this.disposedSignal.catch(() => undefined);
  }

  async detect(source: ImageSource, options: DetectOptions = {}): Promise<DetectResult> {
    if (this.disposed) throw new EngineDisposedError();
    const threshold = options.scoreThreshold ?? this.scoreThreshold;
    checkThreshold(threshold, 'scoreThreshold');
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError('detect', signal.reason);
    const t0 = performance.now();
    const bitmap = await toImageBitmap(source);
    const decodeMs = performance.now() - t0;
    if (this.disposed || signal?.aborted) {
      bitmap.close();
      throw this.disposed ? new EngineDisposedError() : new AbortError('detect', signal!.reason);
    }
    const gates: GateRequest = options.returnGates ? 'maps' : options.gateDensities ? 'densities' : 'none';
    const callId = this.nextCallId++;
    const pending = this.call(this.remote.detect(transfer(bitmap, [bitmap]), { scoreThreshold: threshold, gates, callId }));
    const result = signal ? await abortable(pending, signal, 'detect', () => void this.remote.cancel(callId).catch(() => undefined)) : await pending;
    return { ...result, timings: { ...result.timings, decodeMs: decodeMs + result.timings.decodeMs, totalMs: performance.now() - t0 } };
  }

  async warmup(size?: WarmupSize, options: { readonly gates?: boolean } = {}): Promise<WarmupResult> {
    if (this.disposed) throw new EngineDisposedError();
    const [height, width] = warmupImageSize(size) ?? [undefined, undefined];
    return this.call(this.remote.warmup(height, width, options.gates ?? false));
  }

  /** Testing aid (not part of `Detector`): destroys the worker's GPU device. */
  async debugLoseDevice(): Promise<void> {
    if (this.disposed) throw new EngineDisposedError();
    await this.call(this.remote.debugLoseDevice());
  }

  /** Testing aid: how many times the worker reloaded weights after a device loss. */
  async debugReloads(): Promise<number> {
    return this.call(this.remote.reloads());
  }

  /** Testing and soak aid: live GPU buffers and JS heap in the worker, calls pending. */
  async debugStats(): Promise<WorkerStats> {
    return this.call(this.remote.stats());
  }

  dispose(): Promise<void> {
    if (this.disposal) return this.disposal;
    this.disposed = true;
    this.rejectPending(new EngineDisposedError());
    this.disposal = (async () => {
      // Let the worker finish its running call and free GPU memory, then stop it whatever happens.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), DISPOSE_GRACE_MS);
      });
      try {
        this.debugDisposeReport = await Promise.race([this.remote.dispose(), grace, this.failure]);
      } catch {
        // The worker failed: terminating it is all that is left to do.
      } finally {
        clearTimeout(timer);
        this.remote[releaseProxy]();
        this.worker.terminate();
      }
    })();
    return this.disposal;
  }

  private call<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failure, this.disposedSignal]);
  }
}

function warmupRequest(warmup: CreateDetectorOptions['warmup']): LoadRequest['warmup'] {
  if (warmup === false) return false;
  const options = typeof warmup === 'object' && warmup !== null ? warmup : {};
  const [height, width] = warmupImageSize(options.size) ?? [undefined, undefined];
  return { height, width, gates: options.gates ?? false };
}

/**
 * Starts a detector: a dedicated module worker holding the WebGPU engine with the given weights.
 * Unless `warmup` is false, it also compiles the plan for the model's default input size (the
 * 'compiling' phase of `onProgress`), so the first `detect` costs what later ones do.
 * Rejects with `WebGPUUnavailableError` / `AdapterUnavailableError` when WebGPU cannot run,
 * `WeightsFetchError` / `WeightsFormatError` for bad weights.
 */
export async function createDetector(options: CreateDetectorOptions): Promise<Detector> {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('options', 'expected { weights, ... }');
  checkThreshold(options.scoreThreshold, 'scoreThreshold');
  if (options.labels !== undefined && !(Array.isArray(options.labels) && options.labels.every((l) => typeof l === 'string'))) {
    throw new InvalidArgumentError('labels', 'expected an array of strings');
  }
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('createDetector', signal.reason);
  const weights = weightsForWorker(options.weights);
  const warmup = warmupRequest(options.warmup);
  const t0 = performance.now();
  registerErrorTransfer();
  const worker = new Worker(new URL('../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'dynamic-head-engine' });
  const failure = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      reject(new Error(`The detector's worker failed: ${event.message || 'it could not be started (check the worker script URL and CSP)'}`));
    });
  });
  failure.catch(() => undefined);
  const remote = wrap<EngineWorkerApi>(worker);
  const onProgress = options.onProgress;
  const progress = onProgress ? proxy((event: ProgressEvent) => onProgress({ ...event })) : undefined;
  try {
    const loading = Promise.race([
      remote.load(
        { weights, cache: options.cache ?? true, labels: options.labels, powerPreference: options.powerPreference, sparseCrossover: options.sparseCrossover, warmup },
        progress,
      ),
      failure,
    ]);
    // Aborting a load stops the worker (below): the download, the GPU upload and the compile end with it.
    const loaded = signal ? await abortable(loading, signal, 'createDetector') : await loading;
    const model: ModelInfo = { ...loaded, loadTimings: { ...loaded.loadTimings, totalMs: performance.now() - t0 } };
    return new WorkerDetector(worker, remote, failure, model, options.scoreThreshold);
  } catch (error) {
    remote[releaseProxy]();
    worker.terminate();
    throw error;
  }
}
