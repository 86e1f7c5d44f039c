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

/** What loading is doing: streaming the weights to the GPU, then compiling the warm-start plan. */
export type LoadPhase = 'weights' | 'compiling';

export interface LoadProgress {
  readonly phase: LoadPhase;
  /** Weight bytes received so far (all of them once the phase is 'compiling'). */
  readonly loaded: number;
  /** Size of the weights file in bytes. */
  readonly total: number;
  /**
   * Progress within the phase, in [0, 1]: loaded / total while 'weights'; 0 when 'compiling'
   * starts and 1 when it is done.
   */
  readonly fraction: number;
}

/** What `createDetector` compiles while loading, so that the first `detect` is as fast as later ones. */
export interface WarmupOptions {
  /** Image size to compile for (default: a square of the model's min size, e.g. 800 × 800). */
  readonly size?: number | { readonly width: number; readonly height: number };
  /** Also compile the plan that returns gates (`returnGates` / `gateDensities`). */
  readonly gates?: boolean;
}

export interface WarmupResult {
  /** Time spent building and compiling plans in this call (≈0 when they were ready). */
  readonly compileMs: number;
  /** [height, width] the plan is for: after resizing and after padding. */
  readonly inputSize: { readonly resized: readonly [number, number]; readonly padded: readonly [number, number] };
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
  /**
   * Compile the plan for the model's default input size while loading (a 'compiling' phase in
   * `onProgress`; default true), or for the given size / with gates. `false` defers compiling to
   * the first `detect` (or an explicit `warmup`).
   */
  readonly warmup?: boolean | WarmupOptions;
  /** Gives up the load: `createDetector` rejects with `AbortError` and the worker is stopped. */
  readonly signal?: AbortSignal;
}

export interface DetectOptions {
  /** Overrides the detector's score threshold for this call, in [0, 1]. */
  readonly scoreThreshold?: number;
  /** Also return every gate map's values (implies `gateDensities`). */
  readonly returnGates?: boolean;
  /** Return per-gate and per-router densities (counted on the GPU by every run; cheap). */
  readonly gateDensities?: boolean;
  /**
   * Gives up this call: it rejects with `AbortError` at once; a queued call is skipped in the
   * worker, a running one finishes there and its result is dropped. The detector stays usable.
   */
  readonly signal?: AbortSignal;
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

/**
 * Where one `detect` call's time went, in milliseconds. `totalMs` ≈ queueMs + decodeMs +
 * compileMs + preprocessMs + (GPU wall time) + postprocessMs + the transfers between page and
 * worker.
 */
export interface DetectTimings {
  /** Waiting in the detector's queue for earlier calls to finish (in the worker). */
  readonly queueMs: number;
  /** Image → RGBA pixels: `createImageBitmap` on the page plus reading the pixels in the worker. */
  readonly decodeMs: number;
  /** Building and compiling a plan for this input size: 0 when one was ready (warm start, or an earlier call of that size). */
  readonly compileMs: number;
  /** CPU side of pre-processing: checks, the resize/pad arithmetic and queuing the pixel upload (the resize itself runs on the GPU, inside gpuMs). */
  readonly preprocessMs: number;
  /** The network on the GPU, its pre-processing kernels included: timestamp-query sum, or wall clock from submit to read-back (see gpuTimer). */
  readonly gpuMs: number;
  /** How gpuMs was measured: `timestamp-query` (GPU time) or `wall-clock`. */
  readonly gpuTimer: string;
  /** gpuMs by stage (preprocess, backbone, fpn, head, predictor, candidates). */
  readonly gpuStages: Readonly<Record<string, number>>;
  /** FCOS post-processing on the CPU: reading the GPU-selected candidates (threshold, top-k and box decoding ran on the GPU), NMS, rescaling. */
  readonly postprocessMs: number;
  /** From the call to the resolved promise, on the page. */
  readonly totalMs: number;
}

/** What loading the detector cost, in milliseconds. */
export interface LoadTimings {
  /** Streaming the weights into GPU buffers (download included). */
  readonly weightsMs: number;
  /** Timing the sparse crossover on this adapter (`sparseCrossover: 'measure'`; else 0). */
  readonly calibrateMs: number;
  /** Building and compiling the warm-start plan(s) (0 with `warmup: false`). */
  readonly compileMs: number;
  /** From `createDetector` to the detector, on the page (worker start-up and device creation included). */
  readonly totalMs: number;
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
  /**
   * Bytes the GPU sent back for this call: normally the FCOS candidates only (selected on the
   * GPU, at most min(1000, H·W) per level) plus a few router counts; gate maps add theirs.
   */
  readonly readbackBytes: number;
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
  readonly loadTimings: LoadTimings;
  /** The padded network size [height, width] compiled while loading (undefined with `warmup: false`). */
  readonly warmInputSize?: readonly [number, number];
}

export interface Detector {
  readonly model: ModelInfo;
  /** Detects objects. Calls queue: each runs after the previous one finished. */
  detect(source: ImageSource, options?: DetectOptions): Promise<DetectResult>;
  /**
   * Compiles the plan for images of this size (default: the model's default input size) so that
   * the next `detect` of that size does not pay for it. Queued like `detect`.
   */
  warmup(size?: WarmupOptions['size'], options?: { readonly gates?: boolean }): Promise<WarmupResult>;
  /**
   * Stops the detector. Every pending call (running or queued) rejects at once with
   * `EngineDisposedError`, as do later calls. The worker frees its GPU memory after the call it
   * is running, then stops; the promise resolves when it has (after a few seconds at most).
   */
  dispose(): Promise<void>;
}
