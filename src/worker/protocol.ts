/** What the page and the engine worker say to each other (through comlink). */
import type { DetectResult, ModelInfo } from '../api/types';
import type { CrossoverChoice } from '../ops/sparse-crossover';

export interface LoadRequest {
  /** An absolute URL (resolved on the page), bytes or a Blob. */
  readonly weights: string | ArrayBuffer | Blob;
  readonly cache: boolean;
  readonly labels?: readonly string[];
  readonly powerPreference?: GPUPowerPreference;
  readonly sparseCrossover?: CrossoverChoice;
}

export type GateRequest = 'none' | 'densities' | 'maps';

export interface WorkerDetectOptions {
  readonly scoreThreshold?: number;
  readonly gates: GateRequest;
}

export type ProgressCallback = (loaded: number, total: number) => void;

export interface EngineWorkerApi {
  load(request: LoadRequest, onProgress?: ProgressCallback): Promise<ModelInfo>;
  /** `timings.totalMs` is the worker's share; the page replaces it. */
  detect(image: ImageBitmap, options: WorkerDetectOptions): Promise<DetectResult>;
  /** Testing aid: destroys the GPU device and resolves once the loss has been noticed. */
  debugLoseDevice(): Promise<void>;
  /** How many times weights were reloaded after a device loss. */
  reloads(): number;
  dispose(): void;
}
