import { DeviceLostError, EngineDisposedError, InvalidArgumentError, WeightsFormatError } from '../errors';
import { planPreprocess, validateImageSize, validateRgbaPixels } from '../ops/preprocess';
import type { KernelProgram } from '../gpu/kernel';
import { InputStage, isRgbaPixels, type EngineImage } from './input-stage';
import type { Detection } from './detection';
import { candidateSettings, readCandidates } from './fcos-candidates';
import { fcosDetections, fcosPostprocess } from './fcos-postprocess';
import type { BufferScope } from '../gpu/buffers';
import type { GpuRuntime } from '../gpu/runtime';
import type { PassTimings } from '../gpu/timing';
import { CompiledGraph } from '../graph/executor';
import type { FcosCandidateLayout } from '../ops/fcos-candidates';
import type { PackedLevels } from '../ops/packed-levels';
import type { HeadPlan, RouterCounts } from './dynamic-head';
import { TOWERS } from './head-weights';
import { readTap } from './taps';
import type { Tensor } from '../ops/tensor';
import type { InputConfig, ModelConfig } from '../weights/config';
import { expectedTensors } from '../weights/engine-tensors';
import type { TensorInfo } from '../weights/format';
import { loadWeights, type WeightsSource } from '../weights/loader';
import { buildDetectorGraph, DEFAULT_EXECUTION, readRequests, type DetectorGraph } from './detector-graph';
import type { HeadExecution } from './dynamic-head';
import { headMacs, type MacReport } from './macs';
import { LEVEL_NAMES } from './dynamic-head';
import { EngineWeightSink } from './weight-sink';
import { resolveSparseCrossover, type CrossoverChoice } from '../ops/sparse-crossover';

/** One level's head outputs on the host, NHWC. */
export interface LevelOutputs {
  readonly height: number;
  readonly width: number;
  readonly clsLogits: Float32Array; // [H, W, K]
  readonly bboxReg: Float32Array; // [H, W, 4]
  readonly centerness: Float32Array; // [H, W]
}

export interface NetworkResult {
  readonly levels: LevelOutputs[];
  /** Debug taps (NHWC, named as the reference's golden tensors), when asked for. */
  readonly taps: Map<string, { shape: readonly number[]; data: Float32Array }>;
  readonly timings?: PassTimings;
  /** Active-pixel counts per gate of a dynamic head, keyed like GateCounts. */
  readonly counts?: ReadonlyMap<string, number>;
}

export type { EngineImage, ExternalImage, RgbaPixels } from './input-stage';

export interface DetectOptions {
  /** Overrides the checkpoint's score threshold (default 0.05). */
  readonly scoreThreshold?: number;
  /** Also return every gate map and per-router densities (slower: a debug plan with taps). */
  readonly returnGates?: boolean;
  /** Also return every tapped intermediate tensor (FPN levels, gates, masks, router outputs). */
  readonly returnTaps?: boolean;
  /**
   * Where the FCOS candidates (sigmoid, threshold, per-level top-k, box decoding) are selected:
   * 'gpu' (default): after the predictors, in the same submission, and only they are read back;
   * 'cpu': every level's full class/box/centerness maps are read back and selected on the CPU
   * (the reference path; also used when a level could keep more candidates than the GPU
   * selection sorts, MAX_CANDIDATES_PER_LEVEL). Both give identical detections.
   */
  readonly candidates?: CandidateSelection;
  /** Time every GPU program on its own (benchmarks): `timings.gpuPrograms`, keyed `<stage>/<label>`. */
  readonly profile?: boolean;
}

export type CandidateSelection = 'gpu' | 'cpu';

export interface GateMap {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly values: Float32Array;
  /** Fraction of pixels whose gate is > 0. */
  readonly density: number;
}

export interface DetectionResult {
  readonly detections: Detection[];
  /** [h, w] of the image as given, after resize, after padding. */
  readonly sizes: { readonly original: readonly [number, number]; readonly resized: readonly [number, number]; readonly padded: readonly [number, number] };
  readonly timings: DetectionTimings;
  readonly gates?: GateMap[];
  /** With `returnTaps`: intermediate tensors (NHWC) and the head outputs per level. */
  readonly taps?: NetworkResult;
  /**
   * Fraction of active pixels per gate, keyed `<tower>.<i>.scale<s>.<level>` (scale paths, by
   * source level), `<tower>.<i>.depth.<level>` (depth gate) and `.depth.dilated.<level>`.
   * Present for a dynamic head.
   */
  readonly gateDensities?: Record<string, number>;
  /**
   * Density of each router (`<tower>.<i>`): the fraction of its tower's pixels, over all levels,
   * where the depth gate is on — where its depth convs run. The one definition of a router's
   * density (the worker, the demo and the CLI report this).
   */
  readonly routerDensities?: Record<string, number>;
  /** Head MACs: dense (fixed / dynamic) vs executed under the masks. */
  readonly macs: MacReport;
  /** [h, w] of each FPN level the head ran on. */
  readonly levelSizes: readonly (readonly [number, number])[];
  /** Where the candidates were selected (see DetectOptions.candidates). */
  readonly candidateSelection: CandidateSelection;
  /** Bytes read back from the GPU for this call (candidates or full maps, router counts, taps). */
  readonly readbackBytes: number;
}

/** Where one `detect` went, in milliseconds (see DetectTimings in src/api/types.ts). */
export interface DetectionTimings {
  /** Building and compiling the plan for this input size (≈0 when it was ready). */
  readonly compileMs: number;
  /** CPU side of pre-processing: checks, size arithmetic, queuing the pixel upload. */
  readonly preprocessMs: number;
  /** The network on the GPU (its pre-processing kernels included). */
  readonly gpuMs: number;
  /** How gpuMs was measured: `timestamp-query` or `wall-clock`. */
  readonly gpuTimer: string;
  /** gpuMs by stage. */
  readonly gpuStages: Record<string, number>;
  /**
   * FCOS post-processing on the CPU: with GPU candidates, decoding the read-back records and
   * NMS; on the CPU path, threshold, top-k, decoding and NMS over the full maps.
   */
  readonly postprocessMs: number;
  /** With `profile`: GPU milliseconds per program, keyed `<stage>/<label>`. */
  readonly gpuPrograms?: Record<string, number>;
}

/** Sums `<stage>/<program>` timings per stage. */
function byStage(programs: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, ms] of Object.entries(programs)) {
    const stage = key.split('/')[0]!;
    out[stage] = (out[stage] ?? 0) + ms;
  }
  return out;
}

/** What `DetectorEngine.load` cost, in milliseconds. */
export interface EngineLoadTimings {
  /** Streaming the weights into GPU buffers. */
  readonly weightsMs: number;
  /** Measuring the sparse crossover (`crossover: 'measure'`; else ≈0). */
  readonly calibrateMs: number;
  /** Compiling the warm-start plan (0 without warm-up). */
  readonly compileMs: number;
}

/** Loading phases reported through `onProgress`: bytes while 'weights', 0 of 1 then 1 of 1 while 'compiling'. */
export type EngineLoadPhase = 'weights' | 'compiling';

export interface PlanStats {
  readonly plannedBytes: number;
  readonly naiveBytes: number;
  readonly nodes: number;
  readonly programs: number;
}

/** What one run of a plan brought back. */
interface RunOutputs {
  /** The full head maps per level (when read). */
  readonly levels?: LevelOutputs[];
  /** The GPU-selected candidates' words (when read). */
  readonly candidates?: { readonly layout: FcosCandidateLayout; readonly words: Uint32Array };
  readonly levelSizes: readonly (readonly [number, number])[];
  readonly taps: Map<string, { shape: readonly number[]; data: Float32Array }>;
  readonly timings?: PassTimings;
  readonly counts?: ReadonlyMap<string, number>;
  readonly readbackBytes: number;
}

function networkResult(run: RunOutputs): NetworkResult {
  if (!run.levels) throw new Error('the head maps were not read back');
  return { levels: run.levels, taps: run.taps, timings: run.timings, counts: run.counts };
}

interface Plan {
  readonly detector: DetectorGraph;
  readonly compiled: CompiledGraph;
  readonly generation: number;
}

/**
 * A cached plan, compiling or compiled. `users` counts the calls holding it: an evicted or
 * replaced entry is disposed once none does (a run never loses its plan mid-flight).
 */
interface PlanEntry {
  readonly key: string;
  readonly generation: number;
  readonly plan: Promise<Plan>;
  /** The plan once compiled (so that disposing it needs no wait). */
  ready?: Plan;
  users: number;
  retired: boolean;
  disposed?: boolean;
}

/** Plans kept per engine: a video stream reuses one size; a photo album may alternate. */
const MAX_PLANS = 3;

/**
 * The network on the GPU: weights loaded once, one compiled graph (memory plan + pipelines +
 * programs) per input size, each run a single command encoder with one read-back at the end.
 * After a device loss the next call re-creates the device, re-uploads nothing by itself — the
 * caller reloads weights (the worker keeps the weights source for that).
 */
export class DetectorEngine {
  private readonly plans = new Map<string, PlanEntry>();
  private compilations = 0;
  private input: InputStage | undefined;
  /** Runs one at a time: the input stage and a plan's activations are shared between calls. */
  private runs: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** The device generation the weights were uploaded to. */
  private readonly weightsGeneration: number;

  private constructor(
    readonly runtime: GpuRuntime,
    readonly config: ModelConfig,
    private readonly weights: ReadonlyMap<string, Tensor>,
    private readonly weightScope: BufferScope,
    readonly execution: HeadExecution,
  ) {
    this.weightsGeneration = runtime.generation;
  }

  /** Filled in by `load`. */
  loadTimings: EngineLoadTimings = { weightsMs: 0, calibrateMs: 0, compileMs: 0 };
  /** The padded size compiled while loading, if any. */
  warmInputSize: readonly [number, number] | undefined;
  /** Class names by class id as the weights file records them (undefined: none recorded). */
  classNames: readonly string[] | undefined;

  /**
   * Loads weights and, unless `warmup` is false, compiles the plan for the model's default input
   * size (the padded size of a minSize × minSize image, or `warmup.size`) so the first `detect`
   * costs about what later ones do.
   */
  static async load(
    runtime: GpuRuntime,
    source: WeightsSource,
    options: {
      /** Weight bytes so far while 'weights'; (0, 1) and (1, 1) around 'compiling'. */
      onProgress?: (loaded: number, total: number, phase: EngineLoadPhase) => void;
      cache?: boolean;
      /** Settings that override the weights file's input section (e.g. a smaller min/max size). */
      input?: Partial<InputConfig>;
      /** Sparse gather–scatter (default) or the dense-masked baseline. */
      execution?: HeadExecution;
      /**
       * The default execution's dense-fallback crossover: a fraction, 'table' (the calibration
       * table for this kind of adapter; default) or 'measure' (timed on this adapter at load).
       * Ignored when `execution` is given.
       */
      crossover?: CrossoverChoice;
      /** Compile a plan while loading (default true): for a minSize square image, or this image size; `taps` too. */
      warmup?: boolean | { height?: number; width?: number; taps?: boolean };
    } = {},
  ): Promise<DetectorEngine> {
    await runtime.ensureDevice();
    const scope = runtime.scope('weights');
    let engine: DetectorEngine | undefined;
    try {
      const t0 = performance.now();
      const onWeights = options.onProgress && ((loaded: number, total: number) => options.onProgress!(loaded, total, 'weights'));
      const sink = new EngineWeightSink(scope, { stackHead: true });
      const loaded = await loadWeights(source, { upload: sink, onProgress: onWeights, cache: options.cache });
      checkWeights(loaded.config, loaded.header.tensors);
      const config = options.input ? { ...loaded.config, input: { ...loaded.config.input, ...options.input } } : loaded.config;
      const t1 = performance.now();
      const execution = options.execution ?? { ...DEFAULT_EXECUTION, crossover: await resolveSparseCrossover(runtime, options.crossover) };
      const t2 = performance.now();
      // The head reads its weights stacked (both towers, both paths); the parts have no buffers.
      const table = new Map([...loaded.tensors].filter(([name]) => !sink.isStacked(name)));
      for (const [name, tensor] of sink.stacked()) table.set(name, tensor);
      engine = new DetectorEngine(runtime, config, table, scope, execution);
      engine.classNames = loaded.header.classNames;
      let compileMs = 0;
      if (options.warmup !== false) {
        const warm = typeof options.warmup === 'object' ? options.warmup : {};
        options.onProgress?.(0, 1, 'compiling');
        const size = config.input.minSize;
        const result = await engine.warmup(warm.height ?? size, warm.width ?? warm.height ?? size, { taps: warm.taps });
        compileMs = result.compileMs;
        engine.warmInputSize = result.padded;
        options.onProgress?.(1, 1, 'compiling');
      }
      engine.loadTimings = { weightsMs: t1 - t0, calibrateMs: t2 - t1, compileMs };
      return engine;
    } catch (error) {
      if (engine) engine.dispose();
      else scope.dispose();
      throw error;
    }
  }

  /**
   * Compiles the plan(s) for images of `imageHeight` × `imageWidth` (their padded network size),
   * the plain one and, with `taps`, the one that returns gates. Cheap when they exist.
   */
  async warmup(imageHeight: number, imageWidth: number, options: { taps?: boolean } = {}): Promise<{ compileMs: number; resized: readonly [number, number]; padded: readonly [number, number] }> {
    const t0 = performance.now();
    const sizes = planPreprocess(imageHeight, imageWidth, this.config.input);
    const [ph, pw] = sizes.paddedSize;
    await Promise.all([this.prepare(ph, pw), this.inputStage().prepare()]);
    if (options.taps) await this.prepare(ph, pw, { taps: true });
    return { compileMs: performance.now() - t0, resized: sizes.resizedSize, padded: sizes.paddedSize };
  }

  get weightBytes(): number {
    return this.weightScope.byteLength;
  }

  /** How many plans this engine has compiled (plans are keyed by padded size and taps only). */
  get planCompilations(): number {
    return this.compilations;
  }

  /** Builds and compiles (asynchronously) the plan for a padded input size. */
  async prepare(height: number, width: number, options: { taps?: boolean } = {}): Promise<PlanStats> {
    return this.withPlan(height, width, options.taps ?? false, async (plan) => ({
      plannedBytes: plan.compiled.plan.plannedBytes,
      naiveBytes: plan.compiled.plan.naiveBytes,
      nodes: plan.detector.graph.nodes.length,
      programs: plan.compiled.programCount,
    }));
  }

  /**
   * Detects objects in an image (RGBA8 bytes, or an ImageBitmap-like source the GPU copies
   * itself): pre-processing (Pillow BILINEAR, exact), network and the FCOS candidate selection
   * (sigmoid, threshold, per-level top-k, box decoding) on the GPU in one submission, only the
   * candidates read back, then NMS and rescaling on the CPU. Boxes are in the image's pixels.
   * Any size is accepted: a source beyond the GPU's limits is resampled in pieces.
   */
  async detect(image: EngineImage, options: DetectOptions = {}): Promise<DetectionResult> {
    const t0 = performance.now();
    if (isRgbaPixels(image)) validateRgbaPixels(image.data, image.height, image.width);
    else validateImageSize(image.height, image.width);
    const threshold = options.scoreThreshold ?? this.config.test.scoreThresh;
    if (!(threshold >= 0 && threshold <= 1)) throw new InvalidArgumentError('scoreThreshold', `must be in [0, 1], got ${threshold}`);
    const sizes = planPreprocess(image.height, image.width, this.config.input);
    const [ph, pw] = sizes.paddedSize;
    const taps = (options.returnGates ?? false) || (options.returnTaps ?? false);
    const wantGpu = (options.candidates ?? 'gpu') === 'gpu';
    const tPlan = performance.now();
    let compileMs = 0;
    let stagingMs = 0;
    let t1 = 0;
    const run = await this.withPlan(ph, pw, taps, (plan) => {
      compileMs = performance.now() - tPlan;
      const gpu = wantGpu && plan.detector.candidates !== undefined;
      return this.exclusive(async () => {
        const tStage = performance.now();
        const prefix = await this.inputStage().stage(image, this.config.input, sizes, plan.compiled.tensor(plan.detector.image));
        t1 = performance.now();
        stagingMs = t1 - tStage;
        return this.execute(plan, { timed: true, profile: options.profile, prefix, scoreThreshold: threshold, maps: !gpu || (options.returnTaps ?? false), candidates: gpu });
      });
    });
    const t2 = performance.now();
    const test = { ...this.config.test, scoreThresh: threshold };
    const frame = { originalSize: sizes.originalSize, resizedSize: sizes.resizedSize };
    const strides = this.config.fpn.strides;
    const post = run.candidates
      ? fcosDetections(readCandidates(run.candidates.words, run.candidates.layout), test, frame)
      : fcosPostprocess(
          run.levels!.map((level, l) => ({ ...level, stride: strides[l]! })),
          this.config.head.numClasses,
          test,
          frame,
        );
    const t3 = performance.now();
    const { levelSizes } = run;
    const densities = run.counts ? gateDensities(run.counts, levelSizes) : undefined;
    const gates = options.returnGates
      ? [...run.taps]
          .filter(([name]) => name.includes('.gate.'))
          .map(([name, tap]) => ({
            name,
            height: tap.shape[1]!,
            width: tap.shape[2]!,
            values: tap.data,
            density: tap.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0) / tap.data.length,
          }))
      : undefined;
    return {
      detections: post.detections,
      sizes: { original: sizes.originalSize, resized: sizes.resizedSize, padded: sizes.paddedSize },
      timings: {
        compileMs,
        preprocessMs: tPlan - t0 + stagingMs,
        gpuMs: run.timings?.total ?? t2 - t1,
        gpuTimer: run.timings?.source ?? 'wall-clock',
        gpuStages: options.profile ? byStage(run.timings?.passes ?? {}) : run.timings?.passes ?? {},
        ...(options.profile ? { gpuPrograms: run.timings?.passes ?? {} } : {}),
        postprocessMs: t3 - t2,
      },
      gates,
      taps: options.returnTaps ? networkResult(run) : undefined,
      gateDensities: densities?.gates,
      routerDensities: densities?.routers,
      macs: headMacs(this.config, levelSizes, run.counts),
      levelSizes,
      candidateSelection: run.candidates ? 'gpu' : 'cpu',
      readbackBytes: run.readbackBytes,
    };
  }

  /** Runs the network on a pre-processed image (NHWC [1, H, W, 3], H and W padded). */
  async runNetwork(
    image: Float32Array,
    height: number,
    width: number,
    options: { taps?: boolean; timed?: boolean } = {},
  ): Promise<NetworkResult> {
    if (image.length !== height * width * 3) {
      throw new InvalidArgumentError('image', `expected ${height}×${width}×3 values, got ${image.length}`);
    }
    return this.withPlan(height, width, options.taps ?? false, (plan) =>
      this.exclusive(async () => {
        const imageBuffer = plan.compiled.tensor(plan.detector.image).buffer;
        const run = await this.execute(plan, {
          timed: options.timed,
          beforeSubmit: () => this.runtime.write(imageBuffer, image),
          scoreThreshold: this.config.test.scoreThresh,
          maps: true,
          candidates: false,
        });
        return networkResult(run);
      }),
    );
  }

  /**
   * One run of a plan: writes the candidate settings for `scoreThreshold`, then reads back the
   * full head maps (`maps`), the GPU's candidate records (`candidates`, when the plan has them),
   * router counts and taps.
   */
  private async execute(
    plan: Plan,
    options: {
      timed?: boolean;
      profile?: boolean;
      beforeSubmit?: () => void;
      prefix?: readonly KernelProgram[];
      scoreThreshold: number;
      maps: boolean;
      candidates: boolean;
    },
  ): Promise<RunOutputs> {
    const { detector, compiled } = plan;
    const { head, counts } = detector;
    const selection = detector.candidates;
    const readCandidateRecords = options.candidates && selection !== undefined;
    const wanted = readRequests(detector, { maps: options.maps, candidates: readCandidateRecords });
    const settings = selection && { buffer: compiled.tensor(selection.settings).buffer, words: candidateSettings(options.scoreThreshold) };
    const result = await compiled.run(wanted, {
      timed: options.timed,
      profile: options.profile,
      prefix: options.prefix,
      beforeSubmit: () => {
        if (settings) this.runtime.write(settings.buffer, settings.words);
        options.beforeSubmit?.();
      },
    });
    const levels = options.maps
      ? unpackPredictions(head.levels, new Float32Array(result.outputs.get(head.cls)!), new Float32Array(result.outputs.get(head.boxCtr)!))
      : undefined;
    const taps = new Map([...detector.taps].map(([name, tap]) => [name, { shape: tap.shape, data: readTap(result.outputs.get(tap.value)!, tap) }]));
    const probed = counts.length > 0 ? routerCounts(detector.plan, counts, (c) => new Uint32Array(result.outputs.get(c.range)!)) : undefined;
    return {
      levels,
      candidates: readCandidateRecords ? { layout: selection.layout, words: new Uint32Array(result.outputs.get(selection.out)!) } : undefined,
      levelSizes: head.levels.sizes,
      taps,
      timings: result.timings,
      counts: probed,
      readbackBytes: result.readbackBytes,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const entry of this.plans.values()) this.retire(entry);
    this.plans.clear();
    this.input?.dispose();
    this.input = undefined;
    this.weightScope.dispose();
  }

  /** The input stage of the current device (made on first use). */
  private inputStage(): InputStage {
    if (this.disposed) throw new EngineDisposedError();
    this.input ??= new InputStage(this.runtime);
    return this.input;
  }

  /** Runs `task` after every earlier run has finished. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.runs.then(() => {
      if (this.disposed) throw new EngineDisposedError();
      return task();
    });
    this.runs = next.catch(() => undefined);
    return next;
  }

  /** Holds the plan for a padded size while `body` runs (compiling it first, once, if needed). */
  private async withPlan<T>(height: number, width: number, taps: boolean, body: (plan: Plan) => Promise<T>): Promise<T> {
    const entry = await this.planEntry(height, width, taps);
    try {
      return await body(await entry.plan);
    } finally {
      entry.users--;
      if (entry.retired && entry.users === 0) this.disposeEntry(entry);
    }
  }

  private retire(entry: PlanEntry): void {
    entry.retired = true;
    if (entry.users === 0) this.disposeEntry(entry);
  }

  private disposeEntry(entry: PlanEntry): void {
    if (entry.disposed) return;
    entry.disposed = true;
    if (entry.ready) entry.ready.compiled.dispose();
    else entry.plan.then((plan) => plan.compiled.dispose(), () => undefined);
  }

  /**
   * The cache entry for a padded size, held (users + 1) for the caller: concurrent callers share
   * one compilation (single flight); an entry replaced (device lost) or evicted is disposed once
   * no call holds it.
   */
  private async planEntry(height: number, width: number, taps: boolean): Promise<PlanEntry> {
    if (this.disposed) throw new EngineDisposedError();
    const divisor = this.config.input.sizeDivisibility;
    if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height % divisor || width % divisor) {
      throw new InvalidArgumentError('input size', `${height}×${width} must be positive multiples of ${divisor}`);
    }
    await this.runtime.ensureDevice();
    if (this.runtime.generation !== this.weightsGeneration) {
      throw new DeviceLostError('lost', 'the weights lived on the previous device; load them again with DetectorEngine.load');
    }
    if (this.disposed) throw new EngineDisposedError();
    const key = `${height}x${width}${taps ? ':taps' : ''}`;
    const generation = this.runtime.generation;
    const cached = this.plans.get(key);
    if (cached && cached.generation === generation) {
      // Most recently used last: eviction takes the oldest.
      this.plans.delete(key);
      this.plans.set(key, cached);
      cached.users++;
      return cached;
    }
    if (cached) {
      this.plans.delete(key);
      this.retire(cached);
    }
    const execution = this.execution;
    const compile = async (): Promise<Plan> => {
      const detector = buildDetectorGraph(this.config, this.weights, height, width, { taps, execution });
      const compiled = await CompiledGraph.compile(this.runtime, detector.graph, `plan ${key}`);
      return { detector, compiled, generation };
    };
    this.compilations++;
    const entry: PlanEntry = { key, generation, plan: compile(), users: 1, retired: false };
    void entry.plan.then((plan) => {
      entry.ready = plan;
    }, () => undefined);
    // A failed compilation is forgotten, so the next call tries again.
    entry.plan.catch(() => {
      if (this.plans.get(key) === entry) this.plans.delete(key);
    });
    this.plans.set(key, entry);
    for (const old of [...this.plans.values()]) {
      if (this.plans.size <= MAX_PLANS) break;
      if (old === entry) continue;
      this.plans.delete(old.key);
      this.retire(old);
    }
    return entry;
  }
}

/** Per-gate densities and per-router (depth gate, all levels) densities from the compactions' counts. */
export function gateDensities(counts: ReadonlyMap<string, number>, levelSizes: readonly (readonly [number, number])[]) {
  const gates: Record<string, number> = {};
  const routers: Record<string, [number, number]> = {};
  for (const [name, count] of counts) {
    const level = LEVEL_NAMES.indexOf(name.slice(name.lastIndexOf('.') + 1) as (typeof LEVEL_NAMES)[number]);
    const [h, w] = levelSizes[level]!;
    gates[name] = count / (h * w);
    const depth = /^(.*)\.depth\.p\d$/.exec(name);
    if (depth) {
      const acc = (routers[depth[1]!] ??= [0, 0]);
      acc[0] += count;
      acc[1] += h * w;
    }
  }
  return { gates, routers: Object.fromEntries(Object.entries(routers).map(([k, [a, n]]) => [k, a / n])) };
}

/** Per-level host outputs from the packed predictions ([R, K] logits, [R, 5] box ‖ centerness). */
function unpackPredictions(levels: PackedLevels, cls: Float32Array, boxCtr: Float32Array): LevelOutputs[] {
  const k = cls.length / levels.rows;
  return levels.sizes.map(([height, width], l) => {
    const first = levels.offsets[l]!;
    const n = height * width;
    const bboxReg = new Float32Array(n * 4);
    const centerness = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const row = (first + i) * 5;
      bboxReg.set(boxCtr.subarray(row, row + 4), i * 4);
      centerness[i] = boxCtr[row + 4]!;
    }
    return { height, width, clsLogits: cls.slice(first * k, (first + n) * k), bboxReg, centerness };
  });
}

/**
 * Active-pixel counts per gate from the compactions' per-segment counts, keyed like GateCounts:
 * `<tower>.<i>.depth.<level>`, `.depth.dilated.<level>` and `.scale<s>.<level>` (by source level,
 * consumed levels only).
 */
function routerCounts(plan: HeadPlan, counts: readonly RouterCounts[], read: (c: RouterCounts) => Uint32Array): Map<string, number> {
  const out = new Map<string, number>();
  const { levels } = plan;
  const s = levels.segments;
  const last = levels.levels - 1;
  for (const c of counts) {
    const words = read(c);
    TOWERS.forEach((tower, t) => {
      for (let l = 0; l < levels.levels; l++) {
        const seg = t * levels.levels + l;
        const key = `${tower}.${c.router}`;
        const level = LEVEL_NAMES[l];
        out.set(`${key}.depth.dilated.${level}`, words[seg]!);
        out.set(`${key}.depth.${level}`, words[s + seg]!);
        if (l < last) out.set(`${key}.scale0.${level}`, words[2 * s + seg]!);
        if (l > 0) out.set(`${key}.scale1.${level}`, words[3 * s + seg]!);
      }
    });
  }
  return out;
}

/**
 * A weights file must hold exactly the tensors its config implies, with those shapes: anything
 * else would fail later, deep inside graph building, with a less useful message.
 */
function checkWeights(config: ModelConfig, tensors: readonly TensorInfo[]): void {
  const have = new Map(tensors.map((t) => [t.name, t.shape]));
  const problems: string[] = [];
  for (const expected of expectedTensors(config)) {
    const shape = have.get(expected.name);
    if (!shape) problems.push(`missing ${expected.name}`);
    else if (shape.length !== expected.shape.length || shape.some((d, i) => d !== expected.shape[i])) {
      problems.push(`${expected.name} has shape [${shape.join(', ')}], the config implies [${expected.shape.join(', ')}]`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    throw new WeightsFormatError(`the tensors do not match the model config: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  }
}

export { LEVEL_NAMES };
