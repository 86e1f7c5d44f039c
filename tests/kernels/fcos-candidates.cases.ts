import type { BufferScope } from '../../src/gpu/buffers';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { logitCut, sigmoid32 } from '../../src/model/fcos-postprocess';
import {
  CANDIDATE_HEADER_WORDS,
  CANDIDATE_RECORD_WORDS,
  exactSigmoidProgram,
  FcosCandidateLayout,
  fcosCandidatePrograms,
  fcosCandidateSettings,
} from '../../src/ops/fcos-candidates';
import { PackedLevels } from '../../src/ops/packed-levels';
import type { Tensor } from '../../src/ops/tensor';
import { fcosCandidatesRef } from '../../src/reference/fcos-candidates';
import { assert } from '../harness/assert';
import { uploadTensor, withScope } from '../harness/gpu-data';
import { rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const bitsF32 = (b: number) => new Float32Array(new Uint32Array([b >>> 0]).buffer)[0]!;
const hex = (b: number) => `0x${(b >>> 0).toString(16).padStart(8, '0')}`;

function u32Tensor(scope: BufferScope, data: Uint32Array): Tensor {
  return { buffer: scope.upload(data), shape: [data.length] };
}

function scratch(scope: BufferScope, words: number): Tensor {
  return { buffer: scope.storage(words * 4), shape: [words] };
}

/** One GPU selection (fresh, zeroed work buffer) and its output words. */
async function runSelection(
  rt: GpuRuntime,
  layout: FcosCandidateLayout,
  strides: readonly number[],
  cls: Float32Array,
  boxCtr: Float32Array,
  scoreThresh: number,
): Promise<Uint32Array> {
  return withScope(rt, 'fcos candidates', async (scope) => {
    const out = scratch(scope, layout.outWords);
    const programs = fcosCandidatePrograms(scope, {
      layout,
      strides,
      cls: uploadTensor(scope, cls, [1, layout.levels.rows, layout.classes]),
      boxCtr: uploadTensor(scope, boxCtr, [1, layout.levels.rows, 5]),
      settings: u32Tensor(scope, fcosCandidateSettings(scoreThresh, logitCut(scoreThresh))),
      probs: scratch(scope, layout.elements),
      work: scratch(scope, layout.workWords),
      sure: scratch(scope, Math.max(layout.records, 1)),
      boundary: scratch(scope, layout.elements),
      out,
    });
    await rt.run([programs]);
    return rt.readU32(out.buffer, layout.outWords);
  });
}

/** Counts, then every kept record word for word (NaN bit patterns compare as NaN). */
function compareWords(actual: Uint32Array, expected: Uint32Array, layout: FcosCandidateLayout, what: string): void {
  const isNaN32 = (b: number) => (b & 0x7fffffff) > 0x7f800000;
  layout.levels.sizes.forEach((_, l) => {
    assert(actual[l] === expected[l], `${what}: level ${l} keeps ${actual[l]} candidates, the CPU path ${expected[l]}`);
    for (let j = 0; j < expected[l]!; j++) {
      const o = CANDIDATE_HEADER_WORDS + (layout.slots[l]! + j) * CANDIDATE_RECORD_WORDS;
      for (let f = 0; f < CANDIDATE_RECORD_WORDS; f++) {
        const a = actual[o + f]!;
        const e = expected[o + f]!;
        if (a === e || (f < 6 && isNaN32(a) && isNaN32(e))) continue;
        throw new Error(`${what}: level ${l} candidate ${j} word ${f}: GPU ${hex(a)}, CPU ${hex(e)} (flat ${expected[o + 6]} vs ${actual[o + 6]})`);
      }
    }
  });
}

type Path = 'none' | 'all' | 'sorted-bucket' | 'radix-select';

/**
 * Which way the GPU selection goes on each level for this data (what `bucket` and `finish`
 * decide), so a case can check it covers the path it is meant to.
 */
function selectionPaths(layout: FcosCandidateLayout, cls: Float32Array, scoreThresh: number): Path[] {
  const thresh = f32Bits(scoreThresh);
  const top = 0x3f800000 - Math.min(thresh, 0x3f7fffff) - 1;
  const shift = Math.max(0, 32 - Math.clz32(top) - 12);
  const cut = logitCut(scoreThresh);
  return layout.levels.sizes.map((_, l) => {
    const first = layout.levels.offsets[l]! * layout.classes;
    const hist = new Map<number, number>();
    let n = 0;
    for (let i = first; i < first + layout.levels.pixels(l) * layout.classes; i++) {
      const x = cls[i]!;
      if (!(x >= cut)) continue;
      const p = f32Bits(sigmoid32(x));
      if (p <= thresh) continue;
      const b = (p - thresh - 1) >>> shift;
      hist.set(b, (hist.get(b) ?? 0) + 1);
      n++;
    }
    const k = layout.topk[l]!;
    if (n === 0 || k === 0) return 'none';
    if (n <= k) return 'all';
    let above = 0;
    for (const b of [...hist.keys()].sort((a, c) => c - a)) {
      const h = hist.get(b)!;
      if (above + h >= k) return above + h <= 1024 ? 'sorted-bucket' : 'radix-select';
      above += h;
    }
    throw new Error('unreachable');
  });
}

interface Scene {
  readonly sizes: [number, number][];
  readonly classes: number;
  readonly topk: number;
  readonly strides: number[];
  /** Class logit of element i (level-major, then location, then class). */
  readonly logit: (i: number, next: () => number) => number;
  readonly centerness?: (next: () => number) => number;
}

function sceneData(scene: Scene, seed: number) {
  const levels = new PackedLevels(scene.sizes, 1);
  const layout = new FcosCandidateLayout(levels, scene.classes, scene.topk);
  const next = rng(seed);
  const cls = new Float32Array(layout.elements);
  for (let i = 0; i < cls.length; i++) cls[i] = scene.logit(i, next);
  const boxCtr = new Float32Array(levels.rows * 5);
  for (let r = 0; r < levels.rows; r++) {
    for (let d = 0; d < 4; d++) boxCtr[r * 5 + d] = next() * 90;
    boxCtr[r * 5 + 4] = scene.centerness ? scene.centerness(next) : (next() * 2 - 1) * 6;
  }
  return { layout, cls, boxCtr };
}

function selectionCase(name: string, scene: Scene, thresholds: readonly number[], paths: readonly Path[], seed: number) {
  return {
    name,
    run: async (rt: GpuRuntime) => {
      const { layout, cls, boxCtr } = sceneData(scene, seed);
      const seen = new Set<Path>();
      for (const thresh of thresholds) {
        selectionPaths(layout, cls, thresh).forEach((p) => seen.add(p));
        const expected = fcosCandidatesRef(layout, scene.strides, cls, boxCtr, thresh);
        const actual = await runSelection(rt, layout, scene.strides, cls, boxCtr, thresh);
        compareWords(actual, expected, layout, `${name}, threshold ${thresh}`);
      }
      for (const p of paths) assert(seen.has(p), `${name}: no level took the ${p} path (took ${[...seen].join(', ')})`);
    },
  };
}

// Level sizes that are multiples of nothing (every workgroup and every sort partial).
const ODD: [number, number][] = [[13, 21], [7, 11], [4, 6], [2, 3], [1, 2]];
// P3 with more than 1000 locations, so the official cap of 1000 applies there.
const WIDE: [number, number][] = [[37, 41], [19, 21], [10, 11], [5, 6], [3, 3]];
const STRIDES = [8, 16, 32, 64, 128];
const normal = (next: () => number) => {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
};

/** Float32 bit patterns where the sigmoid's pieces change behaviour, and hard-to-round exp arguments. */
function specialLogits(): number[] {
  const out: number[] = [0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001];
  const around = (x: number, span: number) => {
    const b = f32Bits(x);
    for (let d = -span; d <= span; d++) out.push(b + d, (b + d) | 0x80000000);
  };
  for (const x of [2 ** -26, 2 ** -25, 2 ** -24, 1e-7, 0.5, 1, 2, Math.LN2, 17.328679, 20, 88.72283, 88.72284, 89, 87.33654, 103.97208, 16.635532]) {
    around(x, 3);
  }
  // Arguments whose exp lies within 2^-48 of a float32 rounding midpoint (tools/exact-exp-scan.ts).
  for (const x of [5.960463766996327e-8, 2.0861622829215776e-7, 0.0009533091797493398, 0.5357054471969604, 2.771191358566284, 15.536725997924805, 79.10651397705078, -2.9802322387695312e-8, -0.9648066759109497, -3.876293897628784, -14.567090034484863]) {
    out.push(f32Bits(-x)); // the sigmoid evaluates exp(−x)
  }
  return out.map((b) => b >>> 0);
}

export default defineKernelSuite('fcos-candidates', [
  {
    name: 'exact sigmoid: bit-identical to the CPU post-processing on special and 2^16 random float32 values',
    run: (rt) =>
      withScope(rt, 'exact sigmoid', async (scope) => {
        const next = rng(11);
        const bits = specialLogits();
        // Random bit patterns over the whole float32 line, and logits of detector-like size.
        for (let i = 0; i < 32768; i++) bits.push(Math.floor(next() * 2 ** 32) >>> 0);
        for (let i = 0; i < 32768; i++) bits.push(f32Bits((next() * 2 - 1) * 30));
        const n = bits.length; // not a multiple of 256
        const x = { buffer: scope.upload(Uint32Array.from(bits)), shape: [n] };
        const out = scratch(scope, n);
        await rt.run([exactSigmoidProgram(scope, x, out)]);
        const got = await rt.readU32(out.buffer, n);
        let bad = 0;
        let first = '';
        for (let i = 0; i < n; i++) {
          const want = f32Bits(sigmoid32(bitsF32(bits[i]!)));
          const isNaN32 = (b: number) => (b & 0x7fffffff) > 0x7f800000;
          if (got[i] === want || (isNaN32(got[i]!) && isNaN32(want))) continue;
          if (bad++ === 0) first = `x ${hex(bits[i]!)} (${bitsF32(bits[i]!)}): GPU ${hex(got[i]!)}, CPU ${hex(want)}`;
        }
        assert(bad === 0, `${bad} of ${n} sigmoids differ from the CPU's; first: ${first}`);
      }),
  },
  selectionCase(
    'random logits, 5 odd levels × 7 classes: thresholds 0.05, 0, 0.5, 0.999',
    { sizes: ODD, classes: 7, topk: 1000, strides: STRIDES, logit: (_, next) => normal(next) * 2.5 },
    [0.05, 0, 0.5, 0.999],
    ['all', 'sorted-bucket'],
    21,
  ),
  selectionCase(
    'more than 1000 passing on a 37×41 level: the top 1000 of ~3700',
    { sizes: WIDE, classes: 3, topk: 1000, strides: STRIDES, logit: (_, next) => normal(next) * 2 + 1.5 },
    [0.05],
    ['sorted-bucket'],
    22,
  ),
  selectionCase(
    'ties: logits from 6 values, thousands tie at the cut (radix select down to the index)',
    { sizes: WIDE, classes: 3, topk: 1000, strides: STRIDES, logit: (_, next) => [-4, -1, 0.25, 1.5, 3, 3][Math.floor(next() * 6)]! },
    [0.05, 0],
    ['radix-select'],
    23,
  ),
  selectionCase(
    'ties between distinct logits: every logit ≥ 17 has p = 1 (one bucket, radix select on indices)',
    { sizes: WIDE, classes: 5, topk: 1000, strides: STRIDES, logit: (_, next) => 17 + next() * 40 },
    [0.05],
    ['radix-select'],
    24,
  ),
  selectionCase(
    'one bucket, distinct probabilities: logits within 2^-10 (radix select on p, then indices)',
    { sizes: WIDE, classes: 4, topk: 700, strides: STRIDES, logit: (_, next) => bitsF32(f32Bits(1.75) + Math.floor(next() * 1500)) },
    [0.05],
    ['radix-select'],
    25,
  ),
  selectionCase(
    'no candidates: every logit below the cut, and a threshold of 1',
    { sizes: ODD, classes: 7, topk: 1000, strides: STRIDES, logit: (_, next) => -3 - next() * 100 },
    [0.05, 1],
    ['none'],
    26,
  ),
  selectionCase(
    'topk 5 keeps 5 per level',
    { sizes: ODD, classes: 7, topk: 5, strides: STRIDES, logit: (_, next) => normal(next) * 3 },
    [0.05],
    ['sorted-bucket'],
    27,
  ),
  {
    name: 'topk 0 keeps nothing',
    run: async (rt) => {
      const { layout, cls, boxCtr } = sceneData({ sizes: ODD, classes: 7, topk: 0, strides: STRIDES, logit: (_, next) => normal(next) * 3 }, 28);
      const out = await runSelection(rt, layout, STRIDES, cls, boxCtr, 0.05);
      assert(layout.records === 0 && [...out.subarray(0, 5)].every((c) => c === 0), `counts ${[...out.subarray(0, 5)].join(', ')}`);
    },
  },
  selectionCase(
    'threshold 0 over the whole logit range: NaN logits skipped, subnormal p kept, p = 0 dropped; NaN and extreme centerness',
    {
      sizes: ODD,
      classes: 7,
      topk: 1000,
      strides: STRIDES,
      logit: (i, next) => (i % 97 === 0 ? NaN : i % 89 === 0 ? -Infinity : (next() * 2 - 1) * 110),
      centerness: (next) => [NaN, -95, 30, Infinity, -Infinity, (next() - 0.5) * 200][Math.floor(next() * 6)]!,
    },
    [0],
    ['sorted-bucket'],
    29,
  ),
]);
