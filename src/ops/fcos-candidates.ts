import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { levelTable, MAX_PACKED_LEVELS, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/** Most candidates one level may keep: the finishing workgroup sorts them in 1024 entries. */
export const MAX_CANDIDATES_PER_LEVEL = 1024;
/** Words per candidate record: x1, y1, x2, y2, p, σ(centerness) (float32 bits), flat index. */
export const CANDIDATE_RECORD_WORDS = 7;
/** Count words ahead of the records (one per level, up to 8 levels). */
export const CANDIDATE_HEADER_WORDS = 8;
const HISTOGRAM_BINS = 4096;
const STATE_WORDS = 64; // 8 levels × 8 words

const SLOTS = { params: 0, levels: 1, settings: 2, cls: 3, boxCtr: 4, probs: 5, work: 6, sure: 7, boundary: 8, out: 9 } as const;

/**
 * Where fcos-candidates.wgsl puts things for one packed layout (one tower) and class count:
 * per level k_l = min(topk, H_l·W_l) record slots (the official per-level cap counts locations,
 * not locations × classes), laid out level after level behind the count words.
 */
export class FcosCandidateLayout {
  /** k_l per level. */
  readonly topk: readonly number[];
  /** First record slot of each level. */
  readonly slots: readonly number[];
  /** Σ k_l. */
  readonly records: number;

  constructor(
    readonly levels: PackedLevels,
    readonly classes: number,
    topkCandidates: number,
  ) {
    if (levels.towers !== 1) throw new InvalidArgumentError('levels', `candidates come from one tower, got ${levels.towers}`);
    if (!Number.isInteger(classes) || classes < 1) throw new InvalidArgumentError('classes', `expected a positive integer, got ${classes}`);
    if (!Number.isInteger(topkCandidates) || topkCandidates < 0) {
      throw new InvalidArgumentError('topkCandidates', `expected an integer ≥ 0, got ${topkCandidates}`);
    }
    if (levels.rows * classes >= 2 ** 31) throw new InvalidArgumentError('classes', `${levels.rows} rows × ${classes} classes exceed 2^31 elements`);
    this.topk = levels.sizes.map(([h, w]) => Math.min(topkCandidates, h * w));
    if (this.topk.some((k) => k > MAX_CANDIDATES_PER_LEVEL)) {
      throw new InvalidArgumentError('topkCandidates', `${topkCandidates} per level exceeds the GPU selection's ${MAX_CANDIDATES_PER_LEVEL}`);
    }
    const slots: number[] = [];
    let at = 0;
    for (const k of this.topk) {
      slots.push(at);
      at += k;
    }
    this.slots = slots;
    this.records = at;
  }

  /** R·K: class logits over all levels. */
  get elements(): number {
    return this.levels.rows * this.classes;
  }

  /** u32 words of the output: counts, then records. */
  get outWords(): number {
    return CANDIDATE_HEADER_WORDS + CANDIDATE_RECORD_WORDS * this.records;
  }

  /** u32 words of the work buffer (level states and histograms), zero before each run. */
  get workWords(): number {
    return STATE_WORDS + this.levels.levels * HISTOGRAM_BINS;
  }
}

/** Can `topkCandidates` per level be selected on the GPU (else: the CPU path)? */
export function gpuCandidatesFit(sizes: readonly (readonly [number, number])[], topkCandidates: number): boolean {
  return sizes.length <= MAX_PACKED_LEVELS && sizes.every(([h, w]) => Math.min(topkCandidates, h * w) <= MAX_CANDIDATES_PER_LEVEL);
}

const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const bitsF32 = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0]!;

/** The smallest float32 ≥ x (x not NaN). */
export function float32AtOrAbove(x: number): number {
  const f = Math.fround(x);
  if (f >= x || f === Infinity) return f;
  const b = f32Bits(f);
  if (f === 0) return bitsF32(1); // −0 or +0 below a tiny positive x
  return bitsF32(f > 0 ? b + 1 : b - 1);
}

/**
 * The per-run settings words: the float32 score threshold (candidates need p > it) and the logit
 * prefilter (logit ≥ cut, a double: the smallest float32 at or above it compares the same).
 */
export function fcosCandidateSettings(scoreThresh: number, logitCut: number): Uint32Array {
  if (!(scoreThresh >= 0 && scoreThresh <= 1)) throw new InvalidArgumentError('scoreThresh', `expected a number in [0, 1], got ${scoreThresh}`);
  if (Number.isNaN(logitCut)) throw new InvalidArgumentError('logitCut', 'must not be NaN');
  return new Uint32Array([f32Bits(scoreThresh), f32Bits(float32AtOrAbove(logitCut)), 0, 0]);
}

export interface FcosCandidateArgs {
  readonly layout: FcosCandidateLayout;
  /** Input pixels per feature pixel, per level (integers). */
  readonly strides: readonly number[];
  /** Class logits [1, R, K]. */
  readonly cls: Tensor;
  /** [1, R, 5]: (l, t, r, b) · stride, centerness logit. */
  readonly boxCtr: Tensor;
  /** u32 [4]: fcosCandidateSettings, written before each run. */
  readonly settings: Tensor;
  /** Scratch: u32 [R·K]. */
  readonly probs: Tensor;
  /** u32 [layout.workWords], zeroed before each run. */
  readonly work: Tensor;
  /** Scratch: u32 [layout.records]. */
  readonly sure: Tensor;
  /** Scratch: u32 [R·K]. */
  readonly boundary: Tensor;
  /** u32 [layout.outWords]. */
  readonly out: Tensor;
}

/**
 * The GPU candidate selection (fcos-candidates.wgsl): four programs to dispatch in order, over
 * every level at once. The caller zeroes `work` and writes `settings` before them.
 */
export function fcosCandidatePrograms(scope: BufferScope, args: FcosCandidateArgs): KernelProgram[] {
  const { layout } = args;
  const { levels, classes } = layout;
  const r = levels.rows;
  requireShape('cls', args.cls, [1, r, classes]);
  requireShape('boxCtr', args.boxCtr, [1, r, 5]);
  requireShape('settings', args.settings, [4]);
  requireShape('probs', args.probs, [layout.elements]);
  requireShape('work', args.work, [layout.workWords]);
  requireShape('sure', args.sure, [Math.max(layout.records, 1)]);
  requireShape('boundary', args.boundary, [layout.elements]);
  requireShape('out', args.out, [layout.outWords]);
  if (args.strides.length !== levels.levels || args.strides.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new InvalidArgumentError('strides', `expected ${levels.levels} positive integers, got [${args.strides.join(', ')}]`);
  }
  const written = [args.probs, args.work, args.sure, args.boundary, args.out].map((t) => t.buffer);
  if (new Set(written).size !== written.length || [args.cls, args.boxCtr, args.settings].some((t) => written.includes(t.buffer))) {
    throw new InvalidArgumentError('out', 'the scratch and output buffers must be distinct from each other and from the inputs');
  }
  const quads = (values: readonly number[]) => Array.from({ length: MAX_PACKED_LEVELS }, (_, i) => values[i] ?? 0);
  const params = scope.uniform(
    new UniformWriter()
      .u32(classes, layout.elements, 0, 0)
      .u32(...quads(layout.topk))
      .u32(...quads(layout.slots))
      .u32(...quads(args.strides))
      .bytes(),
    'fcos candidates params',
  );
  const all = {
    params,
    levels: levelTable(scope, levels),
    settings: args.settings.buffer,
    cls: args.cls.buffer,
    boxCtr: args.boxCtr.buffer,
    probs: args.probs.buffer,
    work: args.work.buffer,
    sure: args.sure.buffer,
    boundary: args.boundary.buffer,
    out: args.out.buffer,
  };
  // With the 'auto' layout each entry point binds only what it uses.
  const pick = (...names: (keyof typeof SLOTS)[]) => bindSlots(SLOTS, Object.fromEntries(names.map((n) => [n, all[n]])));
  const perElement = workgroups1D(Math.ceil(layout.elements / 256));
  const perLevel: [number, number, number] = [levels.levels, 1, 1];
  const what = `${levels.levels} levels, ${r} × ${classes}`;
  return [
    { label: `fcos candidates: score (${what})`, shader: 'fcos-candidates', entryPoint: 'score', bindings: pick('params', 'levels', 'settings', 'cls', 'probs', 'work'), dispatch: perElement },
    { label: `fcos candidates: edge bucket (${what})`, shader: 'fcos-candidates', entryPoint: 'bucket', bindings: pick('params', 'work'), dispatch: perLevel },
    { label: `fcos candidates: gather (${what})`, shader: 'fcos-candidates', entryPoint: 'gather', bindings: pick('params', 'levels', 'settings', 'probs', 'work', 'sure', 'boundary'), dispatch: perElement },
    { label: `fcos candidates: select, sort, decode (${what})`, shader: 'fcos-candidates', entryPoint: 'finish', bindings: pick('params', 'levels', 'settings', 'boxCtr', 'probs', 'work', 'sure', 'boundary', 'out'), dispatch: perLevel },
  ];
}

/** The exact float32 sigmoid alone (bits out), elementwise over `x` (tests). */
export function exactSigmoidProgram(scope: BufferScope, x: Tensor, out: Tensor): KernelProgram {
  const n = x.shape.reduce((a, b) => a * b, 1);
  requireShape('out', out, [n]);
  const zeros = new Array<number>(3 * MAX_PACKED_LEVELS).fill(0);
  const params = scope.uniform(new UniformWriter().u32(1, n, 0, 0).u32(...zeros).bytes(), 'exact sigmoid params');
  return {
    label: `exact sigmoid (${n})`,
    shader: 'fcos-candidates',
    entryPoint: 'sigmoid_map',
    bindings: bindSlots(SLOTS, { params, cls: x.buffer, probs: out.buffer }),
    dispatch: workgroups1D(Math.ceil(n / 256)),
  };
}
