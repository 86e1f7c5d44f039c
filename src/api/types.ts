/** The public types of the detector API (`createDetector`, `detect`, `dispose`). */
import type { Box } from '../model/detection';
import type { DetectionResult } from '../model/engine';
import type { ModelConfig } from '../weights/config';
import type { CrossoverChoice } from '../ops/sparse-crossover';

export type { Box } from '../model/detection';
export type { ModelConfig } from '../weights/config';

/** An FPN level the head runs on. */
export type LevelName = 'p3' | 'p4' | 'p5' | 'p6' | 'p7';
/** A router's gated paths: scale path 0 (from the finer level), scale path 1 (from the coarser one), depth path. */
export type GatePath = 'scale0' | 'scale1' | 'depth';

/** Anything `detect` accepts. It is converted to an `ImageBitmap` (EXIF orientation applied) and transferred to the worker. */
export type ImageSource =
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | ImageData
  | Blob
  | VideoFrame;

/** A `.dhw` weights file: its URL (resolved against the page), its bytes, or a `File`/`Blob`. */
export type WeightsInput = URL | string | ArrayBuffer | Blob;

export interface LoadProgress {
  readonly loaded: number;
  readonly total: number;
  /** loaded / total, in [0, 1]. */
  readonly fraction: number;
}

export interface CreateDetectorOptions {
  readonly weights: WeightsInput;
  /** Called while the weights stream in (throttled). */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Default score threshold for `detect` (default: the weights file's, usually 0.05). */
  readonly scoreThreshold?: number;
  /** Class names, indexed by class id (default: `class <id>`). */
  readonly labels?: readonly string[];
  /** Keep a URL's weights in the Cache API (default true). */
  readonly cache?: boolean;
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Density above which the dynamic head's sparse convs run dense instead: a fraction in [0, 1],
   * 'table' (measured per kind of adapter; default) or 'measure' (timed on this adapter while
   * loading: about 2 s on a software adapter).
   */
  readonly sparseCrossover?: CrossoverChoice;
}

export interface DetectOptions {
  /** Overrides the detector's score threshold for this call, in [0, 1]. */
  readonly scoreThreshold?: number;
  /** Also return every gate map's values (implies `gateDensities`). */
  readonly returnGates?: boolean;
  /** Return per-gate and per-router densities (counted on the GPU by every run; cheap). */
  readonly gateDensities?: boolean;
}

export interface Detection {
  /** [x1, y1, x2, y2] in the original image's pixels (after EXIF orientation). */
  readonly box: Box;
  /** In (0, 1]. */
  readonly score: number;
  readonly classId: number;
  readonly label: string;
}

/** One spatial gate of one router path at one level. */
export interface GateMap {
  /** The engine's tap name, e.g. `cls_subnet.0.scale1.gate.p4`. */
  readonly name: string;
  /** `cls_subnet.<i>` or `bbox_subnet.<i>`. */
  readonly router: string;
  readonly path: GatePath;
  readonly level: LevelName;
  readonly height: number;
  readonly width: number;
  /** Fraction of pixels whose gate is > 0 (where the path computes). */
  readonly density: number;
  /** Gate values, row-major [height, width], when `returnGates` was set. */
  readonly values?: Float32Array;
}

export interface RouterDensity {
  readonly router: string;
  /**
   * Fraction of the router's pixels (its tower, every level) where its depth gate is on: where
   * its depth convs run. The scale paths' depthwise convs run densely whatever their gates say.
   */
  readonly density: number;
}

/** Executed vs dense multiply-accumulates, exactly as the engine reports them (when it does). */
export type MacCounts = DetectionResult extends { readonly macs?: infer M } ? M : never;

export interface DetectTimings {
  /** Image conversion: `createImageBitmap` on the page plus reading pixels in the worker. */
  readonly decodeMs: number;
  /** GPU pre-processing set-up (upload, plan) in the engine. */
  readonly preMs: number;
  readonly gpuMs: number;
  readonly postMs: number;
  /** From the call to the resolved promise, on the page (includes queueing). */
  readonly totalMs: number;
  /** `timestamp-query` or `wall-clock`. */
  readonly source: string;
  readonly passes: Readonly<Record<string, number>>;
}

export interface DetectResult {
  readonly detections: Detection[];
  readonly imageSize: { readonly width: number; readonly height: number };
  /** [height, width] after resizing and after padding: what the network saw. */
  readonly inputSize: { readonly resized: readonly [number, number]; readonly padded: readonly [number, number] };
  readonly scoreThreshold: number;
  readonly gates?: GateMap[];
  readonly routerDensities?: RouterDensity[];
  readonly macs?: MacCounts;
  readonly timings: DetectTimings;
}

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly f16: boolean;
  readonly timestampQuery: boolean;
  readonly subgroups: boolean;
  /** Runs shaders on the CPU (SwiftShader, llvmpipe, WARP, a fallback adapter). */
  readonly software: boolean;
}

export interface ModelInfo {
  readonly config: ModelConfig;
  readonly labels: readonly string[];
  readonly weightBytes: number;
  readonly adapter: AdapterSummary;
  /** The dense-fallback crossover in use (see CreateDetectorOptions.sparseCrossover). */
  readonly sparseCrossover: number;
}

export interface Detector {
  readonly model: ModelInfo;
  /** Detects objects. Calls queue: each runs after the previous one finished. */
  detect(source: ImageSource, options?: DetectOptions): Promise<DetectResult>;
  /** Stops the worker and frees GPU memory; later calls fail with `EngineDisposedError`. */
  dispose(): void;
}
