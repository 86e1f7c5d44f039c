/**
 * What the engine worker does, without the worker: owns the GPU runtime and the loaded engine,
 * runs one call at a time (a `CallQueue`, so concurrent `detect`s queue), keeps the weights'
 * source so that after a device loss the next call re-creates the device and reloads the weights,
 * and disposes safely: pending callers are answered at once, the GPU memory is freed after the
 * running call and never under it. `engine-worker.ts` exposes it over comlink; Node tests drive it
 * directly on Dawn.
 */
import type { DetectResult, ModelInfo, WarmupResult } from '../api/types';
import { AbortError, InvalidArgumentError } from '../errors';
import type { GpuRuntime, RuntimeOptions } from '../gpu/runtime';
import { DetectorEngine, type EngineImage } from '../model/engine';
import { CallQueue } from './call-queue';
import { describeGates, routerDensities } from './gate-summary';
import { GpuBufferCensus } from './gpu-buffer-census';
import type { DisposeReport, LoadRequest, ProgressCallback, WorkerDetectOptions, WorkerStats } from '../api/worker-protocol';

const PROGRESS_INTERVAL_MS = 50;

/** An image whose pixels are read only when its call runs (and released once it has). */
export interface PixelSource {
  read(): EngineImage;
  discard(): void;
}

export type RuntimeFactory = (options: Pick<RuntimeOptions, 'powerPreference'>) => Promise<GpuRuntime>;

export class EngineHost {
  private runtime: GpuRuntime | undefined;
  private engine: DetectorEngine | undefined;
  private request: LoadRequest | undefined;
  private labels: readonly string[] = [];
  /** Call ids whose callers aborted before the call started. */
  private readonly cancelled = new Set<number>();
  private skipped = 0;
  private stale = false;
  private reloadCount = 0;
  private disposal: Promise<DisposeReport> | undefined;
  private readonly queue = new CallQueue();
  readonly census = new GpuBufferCensus();

  constructor(private readonly createRuntime: RuntimeFactory) {}

  load(request: LoadRequest, onProgress?: ProgressCallback): Promise<ModelInfo> {
    const t0 = performance.now();
    return this.queue.run(async () => {
      if (this.engine) throw new InvalidArgumentError('load', 'this worker already holds a model');
      this.runtime = await this.createRuntime({ powerPreference: request.powerPreference });
      this.census.watch(this.runtime.device);
      this.runtime.addEventListener('devicelost', () => {
        this.stale = true;
      });
      this.request = request;
      const engine = await this.loadEngine(this.runtime, request, onProgress);
      this.engine = engine;
      // Names given to createDetector, else the weights file's, else `class <id>`.
      this.labels = Array.from({ length: engine.config.head.numClasses }, (_, k) => request.labels?.[k] ?? engine.classNames?.[k] ?? `class ${k}`);
      return this.info(engine, performance.now() - t0);
    });
  }

  detect(source: PixelSource, options: WorkerDetectOptions): Promise<DetectResult> {
    const queuedAt = performance.now();
    return this.queue.run(async () => {
      if (options.callId !== undefined) {
        // Calls run in id order: a cancel for an earlier id came after that call had started.
        for (const id of this.cancelled) if (id < options.callId) this.cancelled.delete(id);
        if (this.cancelled.delete(options.callId)) {
          this.skipped++;
          source.discard();
          throw new AbortError('detect');
        }
      }
      const t0 = performance.now();
      const pixels = source.read();
      const decodeMs = performance.now() - t0;
      // Densities come with every result; only the maps need the plan that reads gates back.
      const returnGates = options.gates === 'maps';
      const run = async () => (await this.ready()).detect(pixels, { scoreThreshold: options.scoreThreshold, returnGates });
      let result;
      try {
        result = await run();
      } catch (error) {
        // The device may have been lost while this call ran: reload once and retry.
        if (!this.stale && !this.runtime?.isLost) throw error;
        result = await run();
      }
      const engine = this.engine!;
      const gates = options.gates !== 'none' && result.gateDensities ? describeGates(result, returnGates) : undefined;
      const macs = (result as { macs?: DetectResult['macs'] }).macs;
      return {
        detections: result.detections.map((d) => ({ ...d, label: this.labels[d.classId] ?? `class ${d.classId}` })),
        imageSize: { width: pixels.width, height: pixels.height },
        inputSize: { resized: result.sizes.resized, padded: result.sizes.padded },
        scoreThreshold: options.scoreThreshold ?? engine.config.test.scoreThresh,
        gates,
        routerDensities: gates ? routerDensities(result) : undefined,
        ...(macs !== undefined ? { macs } : {}),
        timings: { ...result.timings, queueMs: t0 - queuedAt, decodeMs, totalMs: performance.now() - queuedAt },
        readbackBytes: result.readbackBytes,
      };
    }, () => source.discard());
  }

  warmup(height: number | undefined, width: number | undefined, gates: boolean): Promise<WarmupResult> {
    return this.queue.run(async () => {
      const engine = await this.ready();
      const size = engine.config.input.minSize;
      const h = height ?? size;
      const result = await engine.warmup(h, width ?? h, { taps: gates });
      return { compileMs: result.compileMs, inputSize: { resized: result.resized, padded: result.padded } };
    });
  }

  debugLoseDevice(): Promise<void> {
    return this.queue.run(async () => {
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

  stats(): WorkerStats {
    const memory = (performance as { memory?: { usedJSHeapSize?: number } }).memory;
    return { liveBuffers: this.census.current, jsHeapBytes: memory?.usedJSHeapSize, pendingCalls: this.queue.pending, skippedCalls: this.skipped };
  }

  /** Marks a queued detect as given up: it is skipped when its turn comes (a running one finishes). */
  cancel(callId: number): void {
    this.cancelled.add(callId);
  }

  /**
   * Answers every pending call with `EngineDisposedError` now; after the running call has ended,
   * frees the engine's GPU memory and destroys the device. Resolves with what was left alive.
   */
  dispose(): Promise<DisposeReport> {
    if (this.disposal) return this.disposal;
    const t0 = performance.now();
    this.disposal = this.queue.close().then(() => {
      const waitedMs = performance.now() - t0;
      try {
        this.engine?.dispose();
      } catch {
        // Its buffers belonged to a lost device.
      }
      const liveBuffers = this.census.current;
      this.engine = undefined;
      this.request = undefined;
      try {
        this.runtime?.destroy();
      } catch {
        // Already lost.
      }
      this.runtime = undefined;
      return { liveBuffers, waitedMs };
    });
    return this.disposal;
  }

  /** The engine, reloaded first if the device was lost since the last call. */
  private async ready(): Promise<DetectorEngine> {
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
    this.census.watch(await runtime.ensureDevice());
    this.engine = await this.loadEngine(runtime, this.request);
    this.reloadCount++;
    return this.engine;
  }

  private async loadEngine(runtime: GpuRuntime, request: LoadRequest, onProgress?: ProgressCallback): Promise<DetectorEngine> {
    let last = -Infinity;
    let bytes = 0;
    const progress = onProgress
      ? (loaded: number, total: number, phase: 'weights' | 'compiling') => {
          const now = performance.now();
          if (phase === 'weights') {
            bytes = total;
            // Throttled, but the last piece and every phase change always get through.
            if (loaded < total && now - last < PROGRESS_INTERVAL_MS) return;
          }
          last = now;
          const event =
            phase === 'weights'
              ? { phase, loaded, total, fraction: total > 0 ? loaded / total : 0 }
              : { phase, loaded: bytes, total: bytes, fraction: loaded / total };
          void Promise.resolve(onProgress(event)).catch(() => undefined);
        }
      : undefined;
    const warm = request.warmup;
    return DetectorEngine.load(runtime, request.weights, {
      onProgress: progress,
      cache: request.cache,
      crossover: request.sparseCrossover,
      warmup: warm === false ? false : { height: warm.height, width: warm.width, taps: warm.gates },
    });
  }

  private info(engine: DetectorEngine, totalMs: number): ModelInfo {
    const caps = engine.runtime.capabilities;
    return {
      config: engine.config,
      labels: this.labels,
      weightBytes: engine.weightBytes,
      adapter: { ...caps.adapterInfo, f16: caps.f16, timestampQuery: caps.timestampQuery, subgroups: caps.subgroups, software: caps.softwareAdapter },
      sparseCrossover: engine.execution.crossover,
      loadTimings: { ...engine.loadTimings, totalMs },
      warmInputSize: engine.warmInputSize,
    };
  }
}
