/**
 * Shared shapes of the browser benchmark suite (bench/suite.ts drives it, e2e/bench/worker.ts
 * measures, bench/report.ts renders): the request the page gets and the JSON it produces.
 */

export type SuiteProfileName = 'ci' | 'full';

export interface SuiteModel {
  /** `fixed` or `dynamic` (the same checkpoint converted twice), or `fcos` (the FCOS baseline head, its own checkpoint). */
  readonly id: string;
  readonly label: string;
  readonly headKind: 'fixed' | 'dynamic' | 'fcos';
  /** URL of the `.dhw` file (served by the bench's Vite server). */
  readonly weightsUrl: string;
  readonly weightsBytes: number;
}

export interface SuiteImage {
  readonly id: string;
  /** RGBA8 pixels, row-major (what `engine.detect` gets). */
  readonly rgbaUrl: string;
  readonly width: number;
  readonly height: number;
  /** Pre-processed network input, NCHW f32 [1, 3, H, W] padded (what both engines' networks get). */
  readonly inputUrl: string;
  readonly paddedHeight: number;
  readonly paddedWidth: number;
}

export interface SuiteRequest {
  readonly profile: SuiteProfileName;
  readonly description: string;
  readonly warmupRuns: number;
  readonly timedRuns: number;
  readonly models: readonly SuiteModel[];
  readonly images: readonly SuiteImage[];
  /** Which ORT-web execution providers to run as peers. */
  readonly peers: readonly ('webgpu' | 'wasm')[];
  /** Also export and run the dynamic head's dense-masked formulation on the peers. */
  readonly peerDynamic: boolean;
  /**
   * Our series to time: 'network' (pre-processed input → head outputs) and/or 'pipeline' (RGBA →
   * detections, per-stage GPU times). The full profile on a CPU adapter times the pipeline only.
   */
  readonly ourSeries: readonly ('network' | 'pipeline')[];
  /** Run the sparse/dense conv-block curve in the browser (measureSparseCrossover). */
  readonly sparseCurve: { readonly height: number; readonly width: number; readonly channels: number; readonly densities: readonly number[]; readonly repetitions: number } | null;
  /** Relative tolerance for ours vs the peer (max |a − b| / max |b| per output tensor). */
  readonly tolerance: number;
}

export interface Stats {
  readonly n: number;
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  readonly p90Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** One timed series: wall clock per run plus (our engine) GPU ms per pass label. */
export interface Series {
  /** `network` (pre-processed input → head outputs on the host) or `pipeline` (RGBA → detections). */
  readonly kind: 'network' | 'pipeline';
  readonly firstRunMs: number;
  readonly wall: Stats;
  /** GPU time of the whole submission (sum of passes with timestamp-query). */
  readonly gpu?: Stats;
  /** Median ms per stage: GPU passes (preprocess, backbone, fpn, head, predictor), CPU `pre-process (CPU)` and `post-process (CPU)`. */
  readonly stages: Readonly<Record<string, number>>;
  /** The same stages with their spread over the timed runs. */
  readonly stageStats?: Readonly<Record<string, Stats>>;
  readonly timingSource: string;
  readonly samplesMs: readonly number[];
}

export interface EngineRun {
  /** `ours` or `ort-webgpu` / `ort-wasm`. */
  readonly engine: string;
  readonly engineLabel: string;
  /** `fixed` or `dynamic` (for ORT: `fixed` or `dynamic-dense`). */
  readonly config: string;
  /** Loading the weights (ours: DetectorEngine.load without warm-up). */
  readonly loadMs: number;
  /** engine.prepare (our plans and pipelines) or InferenceSession.create (ORT). */
  readonly compileMs: number;
  /** ORT only: building the ONNX model from the .dhw weights. */
  readonly exportMs?: number;
  readonly onnx?: { readonly nodes: number; readonly bytes: number; readonly ops: Readonly<Record<string, number>> };
  readonly series: readonly Series[];
  readonly notes: readonly string[];
  /** Dynamic head: mean depth-gate density over routers per image (detect()'s routerDensities). */
  readonly densities?: Readonly<Record<string, number>>;
  /** Ours: head MACs of the first image as detect() reports them (dense fixed / dense dynamic / executed). */
  readonly macs?: { readonly denseFixed: number; readonly denseDynamic: number; readonly executed: number };
}

export interface Agreement {
  readonly peer: string;
  readonly config: string;
  readonly image: string;
  /** Worst over the 15 head outputs of max |ours − peer| / max |peer|. */
  readonly worstRelative: number;
  readonly worstTensor: string;
  readonly pass: boolean;
}

export interface SparsePoint {
  readonly density: number;
  readonly sparseMs: number;
  readonly denseMs: number;
  readonly ratio: number;
}

export interface SparseCurve {
  readonly source: string;
  readonly label: string;
  readonly series: readonly { readonly name: string; readonly points: readonly SparsePoint[] }[];
  /** What the engine's calibration chose from the same samples (the plot marks the curve's own crossover). */
  readonly crossover?: number;
}

export interface AdapterRecord {
  readonly info: Readonly<Record<string, string>>;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
  readonly timestampQuery: boolean;
  readonly userAgent: string;
  readonly hardwareConcurrency: number;
  readonly crossOriginIsolated: boolean;
}

export interface WorkerResult {
  readonly adapter: AdapterRecord;
  readonly runs: readonly EngineRun[];
  readonly agreement: readonly Agreement[];
  readonly sparse: readonly SparseCurve[];
  readonly errors: readonly string[];
  readonly ortVersion: string;
}

export interface BenchResult extends WorkerResult {
  readonly kind: 'dynamic-head-webgpu browser benchmark';
  readonly version: 1;
  readonly profile: SuiteProfileName;
  readonly description: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly browser: { readonly name: string; readonly version: string; readonly args: readonly string[] };
  readonly machine: { readonly platform: string; readonly cpus: string; readonly cores: number; readonly memoryGiB: number; readonly node: string };
  readonly request: Omit<SuiteRequest, 'models' | 'images'> & { readonly models: readonly string[]; readonly images: readonly string[] };
}

/** Messages from the bench worker (via the page) to Playwright. */
export type SuiteMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'done'; readonly result: WorkerResult }
  | { readonly type: 'fatal'; readonly message: string };

export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => {
    if (s.length === 0) return Number.NaN;
    const x = (s.length - 1) * p;
    const lo = Math.floor(x);
    const hi = Math.ceil(x);
    return s[lo]! + (s[hi]! - s[lo]!) * (x - lo);
  };
  return {
    n: s.length,
    medianMs: q(0.5),
    p25Ms: q(0.25),
    p75Ms: q(0.75),
    p90Ms: q(0.9),
    minMs: s[0] ?? Number.NaN,
    maxMs: s.at(-1) ?? Number.NaN,
    meanMs: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}
