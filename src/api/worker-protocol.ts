/**
 * What the page and the engine worker say to each other (through comlink). It lives with the
 * public API, which owns the boundary: src/worker implements it, src/api never imports src/worker.
 */
import type { CrossoverChoice } from '../ops/sparse-crossover';
import type { DetectResult, LoadPhase, ModelInfo, WarmupResult } from './types';

/** Live GPU buffers (src/worker/gpu-buffer-census.ts counts them). */
export interface BufferCensus {
  readonly buffers: number;
  readonly bytes: number;
}

export interface LoadRequest {
  /** An absolute URL (resolved on the page), bytes or a Blob. */
  readonly weights: string | ArrayBuffer | Blob;
  readonly cache: boolean;
  readonly labels?: readonly string[];
  readonly powerPreference?: GPUPowerPreference;
  readonly sparseCrossover?: CrossoverChoice;
  /** Compile while loading: false, or the image size (default: minSize square) and whether the gates plan too. */
  readonly warmup: false | { readonly height?: number; readonly width?: number; readonly gates: boolean };
}

export type GateRequest = 'none' | 'densities' | 'maps';

export interface WorkerDetectOptions {
  readonly scoreThreshold?: number;
  readonly gates: GateRequest;
  /** Names the call for `cancel(callId)` (its caller's AbortSignal). */
  readonly callId?: number;
}

export interface ProgressEvent {
  readonly phase: LoadPhase;
  /** Weight bytes so far. */
  readonly loaded: number;
  readonly total: number;
  /** Within the phase, [0, 1]. */
  readonly fraction: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** What the worker freed when disposed (the leak check). */
export interface DisposeReport {
  /** GPU buffers the engine had not destroyed after freeing everything (0 unless it leaks). */
  readonly liveBuffers: BufferCensus;
  /** How long disposal waited for the running call to finish. */
  readonly waitedMs: number;
}

/** Testing and soak aid: the worker's memory right now. */
export interface WorkerStats {
  readonly liveBuffers: BufferCensus;
  /** `performance.memory.usedJSHeapSize` where the browser has it. */
  readonly jsHeapBytes?: number;
  readonly pendingCalls: number;
  /** Detect calls cancelled before they started (their work skipped). */
  readonly skippedCalls: number;
}

export interface EngineWorkerApi {
  load(request: LoadRequest, onProgress?: ProgressCallback): Promise<ModelInfo>;
  /** `timings.totalMs` is the worker's share; the page replaces it. */
  detect(image: ImageBitmap, options: WorkerDetectOptions): Promise<DetectResult>;
  /** Compiles the plan(s) for images of this size (queued like detect). */
  warmup(height: number | undefined, width: number | undefined, gates: boolean): Promise<WarmupResult>;
  /** Testing aid: destroys the GPU device and resolves once the loss has been noticed. */
  debugLoseDevice(): Promise<void>;
  /** How many times weights were reloaded after a device loss. */
  reloads(): number;
  stats(): WorkerStats;
  /** The caller gave up on call `callId`: if it has not started, it is skipped (AbortError). */
  cancel(callId: number): void;
  /**
   * Rejects queued calls, waits for the running one, frees the engine's GPU memory and destroys
   * the device; resolves with what was left.
   */
  dispose(): Promise<DisposeReport>;
}
