/**
 * The engine's dedicated module worker, exposed with comlink. It owns the GPU runtime and the
 * loaded engine, runs one call at a time (a promise chain, so concurrent `detect`s queue), and
 * keeps the weights' source so that after a device loss the next call re-creates the device and
 * reloads the weights before running.
 */
import { expose, transfer } from 'comlink';
import type { DetectResult, ModelInfo } from '../api/types';
import { EngineDisposedError, InvalidArgumentError } from '../errors';
import { GpuRuntime } from '../gpu/runtime';
import { DetectorEngine } from '../model/engine';
import { registerErrorTransfer } from './error-transfer';
import { describeGates, routerDensities } from './gate-summary';
import { bitmapImage } from './image-pixels';
import type { EngineWorkerApi, LoadRequest, ProgressCallback, WorkerDetectOptions } from './protocol';

const PROGRESS_INTERVAL_MS = 50;

class EngineWorker implements EngineWorkerApi {
  private runtime: GpuRuntime | undefined;
  private engine: DetectorEngine | undefined;
  private request: LoadRequest | undefined;
  private labels: readonly string[] = [];
  private stale = false;
  private disposed = false;
  private reloadCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  load(request: LoadRequest, onProgress?: ProgressCallback): Promise<ModelInfo> {
    return this.enqueue(async () => {
      if (this.engine) throw new InvalidArgumentError('load', 'this worker already holds a model');
      this.runtime = await GpuRuntime.create({ powerPreference: request.powerPreference });
      this.runtime.addEventListener('devicelost', () => {
        this.stale = true;
      });
      this.request = request;
      this.engine = await this.loadEngine(this.runtime, request, onProgress);
      const numClasses = this.engine.config.head.numClasses;
      this.labels = Array.from({ length: numClasses }, (_, k) => request.labels?.[k] ?? `class ${k}`);
      return this.info(this.engine);
    });
  }

  detect(bitmap: ImageBitmap, options: WorkerDetectOptions): Promise<DetectResult> {
    return this.enqueue(async () => {
      const t0 = performance.now();
      let result;
      let image;
      let decodeMs;
      // Densities come with every result; only the maps need the plan that reads gates back.
      const returnGates = options.gates === 'maps';
      try {
        image = bitmapImage(bitmap);
        decodeMs = performance.now() - t0;
        const input = image;
        const run = async () => (await this.ready()).detect(input, { scoreThreshold: options.scoreThreshold, returnGates });
        try {
          result = await run();
        } catch (error) {
          // The device may have been lost while this call ran: reload once and retry.
          if (!this.stale && !this.runtime?.isLost) throw error;
          result = await run();
        }
      } finally {
        // The GPU has copied what it needs once detect() has returned.
        bitmap.close();
      }
      const engine = this.engine!;
      const gates = options.gates !== 'none' && result.gateDensities ? describeGates(result, returnGates) : undefined;
      const macs = (result as { macs?: DetectResult['macs'] }).macs;
      const output: DetectResult = {
        detections: result.detections.map((d) => ({ ...d, label: this.labels[d.classId] ?? `class ${d.classId}` })),
        imageSize: { width: image.width, height: image.height },
        inputSize: { resized: result.sizes.resized, padded: result.sizes.padded },
        scoreThreshold: options.scoreThreshold ?? engine.config.test.scoreThresh,
        gates,
        routerDensities: gates ? routerDensities(result) : undefined,
        ...(macs !== undefined ? { macs } : {}),
        timings: { ...result.timings, decodeMs, totalMs: performance.now() - t0 },
      };
      const buffers = new Set<ArrayBuffer>();
      for (const g of gates ?? []) if (g.values?.buffer instanceof ArrayBuffer) buffers.add(g.values.buffer);
      return transfer(output, [...buffers]);
    });
  }

  debugLoseDevice(): Promise<void> {
    return this.enqueue(async () => {
      const runtime = this.runtime;
      if (!runtime) throw new InvalidArgumentError('debugLoseDevice', 'no model is loaded');
      const lost = new Promise<void>((resolve) => runtime.addEventListener('devicelost', () => resolve(), { once: true }));
      runtime.destroy();
      await lost;
    });
  }

  reloads(): number {
    return this.reloadCount;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine?.dispose();
    this.engine = undefined;
    this.request = undefined;
  }

  /** The engine, reloaded first if the device was lost since the last call. */
  private async ready(): Promise<DetectorEngine> {
    if (this.disposed) throw new EngineDisposedError();
    const runtime = this.runtime;
    if (!this.engine || !runtime || !this.request) throw new InvalidArgumentError('detect', 'no model is loaded');
    if (!this.stale && !runtime.isLost) return this.engine;
    try {
      this.engine.dispose();
    } catch {
      // Its buffers belonged to the lost device.
    }
    this.engine = undefined;
    this.stale = false;
    await runtime.ensureDevice();
    this.engine = await this.loadEngine(runtime, this.request);
    this.reloadCount++;
    return this.engine;
  }

  private async loadEngine(runtime: GpuRuntime, request: LoadRequest, onProgress?: ProgressCallback): Promise<DetectorEngine> {
    let last = -Infinity;
    const progress = onProgress
      ? (loaded: number, total: number) => {
          const now = performance.now();
          if (loaded < total && now - last < PROGRESS_INTERVAL_MS) return;
          last = now;
          void Promise.resolve(onProgress(loaded, total)).catch(() => undefined);
        }
      : undefined;
    return DetectorEngine.load(runtime, request.weights, { onProgress: progress, cache: request.cache, crossover: request.sparseCrossover });
  }

  private info(engine: DetectorEngine): ModelInfo {
    const caps = engine.runtime.capabilities;
    return {
      config: engine.config,
      labels: this.labels,
      weightBytes: engine.weightBytes,
      adapter: { ...caps.adapterInfo, f16: caps.f16, timestampQuery: caps.timestampQuery, subgroups: caps.subgroups, software: caps.softwareAdapter },
      sparseCrossover: engine.execution.crossover,
    };
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.disposed) throw new EngineDisposedError();
      return task();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

registerErrorTransfer();
expose(new EngineWorker());
