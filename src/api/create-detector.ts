/**
 * `createDetector`: starts the engine worker, streams the weights into it and returns a
 * `Detector` whose calls run in the worker. Typed errors thrown there arrive here as the same
 * classes (see `worker/error-transfer.ts`).
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { EngineDisposedError, InvalidArgumentError } from '../errors';
import { registerErrorTransfer } from '../worker/error-transfer';
import type { EngineWorkerApi, GateRequest } from '../worker/protocol';
import { toImageBitmap } from './image-bitmap';
import type { CreateDetectorOptions, DetectOptions, DetectResult, Detector, ImageSource, ModelInfo, WeightsInput } from './types';

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

class WorkerDetector implements Detector {
  private disposed = false;

  constructor(
    private readonly worker: Worker,
    private readonly remote: Remote<EngineWorkerApi>,
    private readonly failure: Promise<never>,
    readonly model: ModelInfo,
    private readonly scoreThreshold: number | undefined,
  ) {}

  async detect(source: ImageSource, options: DetectOptions = {}): Promise<DetectResult> {
    if (this.disposed) throw new EngineDisposedError();
    const threshold = options.scoreThreshold ?? this.scoreThreshold;
    checkThreshold(threshold, 'scoreThreshold');
    const t0 = performance.now();
    const bitmap = await toImageBitmap(source);
    const decodeMs = performance.now() - t0;
    if (this.disposed) {
      bitmap.close();
      throw new EngineDisposedError();
    }
    const gates: GateRequest = options.returnGates ? 'maps' : options.gateDensities ? 'densities' : 'none';
    const result = await this.call(this.remote.detect(transfer(bitmap, [bitmap]), { scoreThreshold: threshold, gates }));
    return { ...result, timings: { ...result.timings, decodeMs: decodeMs + result.timings.decodeMs, totalMs: performance.now() - t0 } };
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

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Let the worker free GPU memory, then stop it whatever happens.
    void this.remote
      .dispose()
      .catch(() => undefined)
      .finally(() => {
        this.remote[releaseProxy]();
        this.worker.terminate();
      });
  }

  private call<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failure]);
  }
}

/**
 * Starts a detector: a dedicated module worker holding the WebGPU engine with the given weights.
 * Rejects with `WebGPUUnavailableError` / `AdapterUnavailableError` when WebGPU cannot run,
 * `WeightsFetchError` / `WeightsFormatError` for bad weights.
 */
export async function createDetector(options: CreateDetectorOptions): Promise<Detector> {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('options', 'expected { weights, ... }');
  checkThreshold(options.scoreThreshold, 'scoreThreshold');
  if (options.labels !== undefined && !(Array.isArray(options.labels) && options.labels.every((l) => typeof l === 'string'))) {
    throw new InvalidArgumentError('labels', 'expected an array of strings');
  }
  const weights = weightsForWorker(options.weights);
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
  const progress = onProgress
    ? proxy((loaded: number, total: number) => onProgress({ loaded, total, fraction: total > 0 ? loaded / total : 0 }))
    : undefined;
  try {
    const model = await Promise.race([
      remote.load(
        { weights, cache: options.cache ?? true, labels: options.labels, powerPreference: options.powerPreference, sparseCrossover: options.sparseCrossover },
        progress,
      ),
      failure,
    ]);
    return new WorkerDetector(worker, remote, failure, model, options.scoreThreshold);
  } catch (error) {
    remote[releaseProxy]();
    worker.terminate();
    throw error;
  }
}
