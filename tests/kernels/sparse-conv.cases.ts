import { InvalidArgumentError } from '../../src/errors';
import type { BufferScope } from '../../src/gpu/buffers';
import type { KernelProgram } from '../../src/gpu/kernel';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { compactPrograms } from '../../src/ops/compact';
import { conv2dProgram, packConvWeights } from '../../src/ops/conv2d';
import { gateResidualReluInPlaceProgram, mulGateProgram } from '../../src/ops/elementwise';
import { groupNormPrograms } from '../../src/ops/group-norm';
import { gateMaskProgram } from '../../src/ops/mask';
import { foldedAffineBuffer, maskedGroupStatsPrograms, type MaskedPixels } from '../../src/ops/masked-group-stats';
import { sparseConvBlockPrograms, type SparseEpilogue, type SparseStrategy } from '../../src/ops/sparse-conv';
import type { Tensor } from '../../src/ops/tensor';
import { conv2dRef } from '../../src/reference/conv2d';
import { groupNormRef } from '../../src/reference/group-norm';
import { assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { clusteredGate, randomGate } from '../harness/masks';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

// The sparse block must equal the dense-masked formulation built from the existing kernels
// (dense conv → GroupNorm in mask mode → ReLU / · gate + residual) to 1e-5 of the output's scale.
const TOLERANCE = 1e-5;

type EpilogueKind = SparseEpilogue['kind'];

interface Problem {
  h: number;
  w: number;
  cin: number;
  cout: number;
  input: Tensor;
  weights: Tensor;
  gamma: Tensor;
  beta: Tensor;
  gate: Tensor;
  residual: Tensor;
  gateData: Float32Array;
  groups: number;
}

function problem(
  scope: BufferScope,
  h: number,
  w: number,
  cin: number,
  cout: number,
  gateData: Float32Array,
  seed: number,
  groups = 32,
): Problem {
  const torch = randomArray(cout * cin * 9, seed, 0.2);
  return {
    h,
    w,
    cin,
    cout,
    input: uploadTensor(scope, randomArray(h * w * cin, seed + 1), [1, h, w, cin]),
    weights: uploadTensor(scope, packConvWeights(torch, [cout, cin, 3, 3]), [3, 3, cin, cout]),
    gamma: uploadTensor(scope, randomArray(cout, seed + 2, 1).map((v) => 1 + 0.5 * v), [cout]),
    beta: uploadTensor(scope, randomArray(cout, seed + 3, 0.5), [cout]),
    gate: uploadTensor(scope, gateData, [1, h, w, 1]),
    residual: uploadTensor(scope, randomArray(h * w * cout, seed + 4), [1, h, w, cout]),
    gateData,
    groups,
  };
}

function epilogueOf(p: Problem, kind: EpilogueKind): SparseEpilogue {
  if (kind === 'gated-residual') return { kind, gate: p.gate, residual: p.residual };
  if (kind === 'gated') return { kind, gate: p.gate };
  return { kind };
}

/** The dense-masked reference: existing dense kernels only. */
function densePrograms(scope: BufferScope, p: Problem, mask: Tensor, kind: EpilogueKind, out: Tensor): KernelProgram[] {
  const conv = emptyTensor(scope, [1, p.h, p.w, p.cout]);
  const programs: KernelProgram[] = [conv2dProgram(scope, { input: p.input, weights: p.weights, padding: 1, out: conv })];
  const normed = kind === 'affine' || kind === 'relu' ? out : emptyTensor(scope, [1, p.h, p.w, p.cout]);
  programs.push(
    ...groupNormPrograms(scope, conv, p.gamma, p.beta, normed, { groups: p.groups, relu: kind === 'relu', pixels: { mode: 'mask', mask } })
      .programs,
  );
  if (kind === 'gated') programs.push(mulGateProgram(scope, normed, p.gate, out));
  if (kind === 'gated-residual') {
    programs.push(mulGateProgram(scope, normed, p.gate, out), gateResidualReluInPlaceProgram(scope, out, onesGate(scope, p), p.residual));
  }
  return programs;
}

/** A gate of ones, so gate_residual_relu(o·g, 1, y) = ReLU(o·g + y). */
function onesGate(scope: BufferScope, p: Problem): Tensor {
  return uploadTensor(scope, new Float32Array(p.h * p.w).fill(1), [1, p.h, p.w, 1]);
}

/** Runs every strategy of the block and the reference for one mask and epilogue. */
async function checkBlock(rt: GpuRuntime, p: Problem, scope: BufferScope, kind: EpilogueKind, what: string, useDilated = false): Promise<void> {
  const mask = emptyTensor(scope, [1, p.h, p.w, 1]);
  const maskPrograms = [
    gateMaskProgram(scope, useDilated ? { gate: p.gate, dilated: mask } : { gate: p.gate, mask }),
  ];
  const { programs: compact, active } = compactPrograms(scope, mask);
  const reference = emptyTensor(scope, [1, p.h, p.w, p.cout]);
  await rt.run([[...maskPrograms, ...compact], densePrograms(scope, p, mask, kind, reference)]);
  const expected = await readTensor(rt, reference);
  const strategies: [string, SparseStrategy][] = [
    ['sparse', { mode: 'sparse', active }],
    ['dense', { mode: 'dense', mask }],
    ['auto 0.5', { mode: 'auto', active, crossover: 0.5 }],
  ];
  // crossover 0: the fallback runs dense for any non-empty mask (and sparse for an empty one).
  if (kind === 'gated-residual') strategies.push(['auto 0', { mode: 'auto', active, crossover: 0 }]);
  for (const [name, strategy] of strategies) {
    const out = uploadTensor(scope, new Float32Array(p.h * p.w * p.cout).fill(Number.NaN), [1, p.h, p.w, p.cout]);
    const block = sparseConvBlockPrograms(scope, {
      input: p.input,
      weights: p.weights,
      gamma: p.gamma,
      beta: p.beta,
      groups: p.groups,
      strategy,
      epilogue: epilogueOf(p, kind),
      out,
    });
    await rt.run([block.programs]);
    assertClose(await readTensor(rt, out), expected, `${what}, ${kind}, ${name}`, TOLERANCE);
  }
}

const MASKS: [string, (h: number, w: number) => Float32Array][] = [
  ['0 %', (h, w) => new Float32Array(h * w)],
  ['100 %', (h, w) => randomGate(h, w, 1, 3)],
  ['random 30 %', (h, w) => randomGate(h, w, 0.3, 4)],
  ['clustered 25 %', (h, w) => clusteredGate(h, w, 0.25, 5)],
];

export default defineKernelSuite('sparse-conv', [
  {
    name: 'sparse block = dense-masked path: 13×21, C 32→32, masks 0/100/30 %/blobs, every epilogue and strategy',
    run: (rt) =>
      withScope(rt, 'sparse block 32', async (scope) => {
        for (const [maskName, make] of MASKS) {
          const p = problem(scope, 13, 21, 32, 32, make(13, 21), 11);
          // Every epilogue on the partial masks; the extremes only need the two the head uses.
          const partial = maskName.includes('%') && !maskName.startsWith('0') && !maskName.startsWith('100');
          const kinds = partial ? (['affine', 'relu', 'gated', 'gated-residual'] as const) : (['relu', 'gated-residual'] as const);
          for (const kind of kinds) await checkBlock(rt, p, scope, kind, `mask ${maskName}`);
        }
      }),
  },
  {
    name: 'sparse block = dense-masked path: 13×21 and 9×70, C 64→64 (and 32→64), dilated and plain masks',
    run: (rt) =>
      withScope(rt, 'sparse block 64', async (scope) => {
        for (const [maskName, make] of MASKS) {
          const p = problem(scope, 13, 21, 64, 64, make(13, 21), 21);
          await checkBlock(rt, p, scope, 'relu', `dilated ${maskName}`, true);
          await checkBlock(rt, p, scope, 'gated-residual', `mask ${maskName}`);
        }
        const wide = problem(scope, 9, 70, 32, 64, clusteredGate(9, 70, 0.4, 6), 31);
        await checkBlock(rt, wide, scope, 'gated-residual', '9×70 blobs 32→64');
      }),
  },
  {
    name: 'scalar epilogue path (C = 6, 3 groups, not a multiple of 4), random 40 % mask',
    run: (rt) =>
      withScope(rt, 'sparse block scalar', async (scope) => {
        const p = problem(scope, 7, 9, 5, 6, randomGate(7, 9, 0.4, 8), 81, 3);
        await checkBlock(rt, p, scope, 'gated-residual', 'C 6');
      }),
  },
  {
    name: 'masked group statistics: rows (count 0, across chunks, all), mask and all modes = CPU, and with the affine folded in',
    run: (rt) =>
      withScope(rt, 'masked stats', async (scope) => {
        const [h, w, c, groups] = [9, 11, 64, 32];
        const pixels = h * w;
        const data = randomArray(pixels * c, 91, 3).map((v) => v + 5); // a mean away from 0
        const gateData = clusteredGate(h, w, 0.35, 92);
        const x = uploadTensor(scope, data, [1, h, w, c]);
        const rowsView: Tensor = { buffer: x.buffer, shape: [pixels, c] };
        const gammaData = randomArray(c, 93, 2);
        const betaData = randomArray(c, 94);
        const gamma = uploadTensor(scope, gammaData, [c]);
        const beta = uploadTensor(scope, betaData, [c]);
        const cases: [string, MaskedPixels, (p: number) => boolean][] = [
          ['rows 0', { mode: 'rows', count: { buffer: scope.upload(Uint32Array.of(0)), shape: [1] } }, () => false],
          ['rows 37', { mode: 'rows', count: { buffer: scope.upload(Uint32Array.of(37)), shape: [1] } }, (p) => p < 37],
          ['rows all (count > maxRows)', { mode: 'rows', count: { buffer: scope.upload(Uint32Array.of(pixels + 5)), shape: [1] } }, () => true],
          ['mask', { mode: 'mask', mask: uploadTensor(scope, gateData, [1, h, w, 1]) }, (p) => gateData[p]! > 0],
          ['all', { mode: 'all' }, () => true],
        ];
        for (const [name, set, active] of cases) {
          const st = maskedGroupStatsPrograms(scope, set.mode === 'rows' ? rowsView : x, { groups, pixels: set });
          await rt.run([st.programs]);
          const got = await rt.readF32(st.stats.buffer, groups * 2);
          const expected = new Float32Array(groups * 2);
          const cg = c / groups;
          for (let g = 0; g < groups; g++) {
            let n = 0;
            let sum = 0;
            for (let p = 0; p < pixels; p++) if (active(p)) for (let k = 0; k < cg; k++) (sum += data[p * c + g * cg + k]!), n++;
            if (n === 0) continue;
            const mean = sum / n;
            let sq = 0;
            for (let p = 0; p < pixels; p++) if (active(p)) for (let k = 0; k < cg; k++) sq += (data[p * c + g * cg + k]! - mean) ** 2;
            expected[2 * g] = mean;
            expected[2 * g + 1] = 1 / Math.sqrt(sq / n + 1e-5);
          }
          assertClose(got, expected, `masked stats ${name}`, 1e-5);
          // finalize_fold: the same statistics with gamma and beta folded in, plus the layout flag.
          const affine = foldedAffineBuffer(scope, c);
          const folded = maskedGroupStatsPrograms(scope, set.mode === 'rows' ? rowsView : x, { groups, pixels: set, fold: { gamma, beta, affine } });
          await rt.run([folded.programs]);
          const want = new Float32Array((c + 1) * 4);
          for (let ch = 0; ch < c; ch++) {
            const g = Math.floor(ch / (c / groups));
            want.set([expected[2 * g]!, expected[2 * g + 1]! * gammaData[ch]!, betaData[ch]!, 0], ch * 4);
          }
          want[c * 4] = set.mode === 'rows' ? 1 : 0;
          assertClose(await rt.readF32(affine, (c + 1) * 4), want, `folded affine ${name}`, 1e-5);
        }
      }),
  },
  {
    name: 'sparse block matches a CPU reference of masked inference (conv at active pixels, GN over them)',
    run: (rt) =>
      withScope(rt, 'sparse block cpu', async (scope) => {
        const [h, w, c] = [11, 13, 32];
        const x = randomArray(h * w * c, 41);
        const torch = randomArray(c * c * 9, 42, 0.2);
        const gamma = randomArray(c, 43).map((v) => 1 + 0.5 * v);
        const beta = randomArray(c, 44, 0.5);
        const gate = clusteredGate(h, w, 0.3, 45);
        const mask = gate.map((v) => (v > 0 ? 1 : 0));
        const conv = conv2dRef(x, torch, { input: [1, h, w, c], weights: [c, c, 3, 3] }, { padY: 1, padX: 1 });
        const expected = groupNormRef(conv, [1, h, w, c], { groups: 32, gamma, beta, mask, relu: true });
        const maskTensor = uploadTensor(scope, mask, [1, h, w, 1]);
        const { programs: compact, active } = compactPrograms(scope, maskTensor);
        const out = emptyTensor(scope, [1, h, w, c]);
        const block = sparseConvBlockPrograms(scope, {
          input: uploadTensor(scope, x, [1, h, w, c]),
          weights: uploadTensor(scope, packConvWeights(torch, [c, c, 3, 3]), [3, 3, c, c]),
          gamma: uploadTensor(scope, gamma, [c]),
          beta: uploadTensor(scope, beta, [c]),
          groups: 32,
          strategy: { mode: 'sparse', active },
          epilogue: { kind: 'relu' },
          out,
        });
        await rt.run([compact, block.programs]);
        assertClose(await readTensor(rt, out), expected, 'sparse block vs CPU', 1e-4);
      }),
  },
  {
    name: 'full depth path (conv1 on the dilated mask, conv2 on the gate mask, ReLU(o·g + y)) = dense-masked',
    run: (rt) =>
      withScope(rt, 'depth path', async (scope) => {
        const [h, w, c] = [13, 21, 32];
        for (const [maskName, make] of MASKS) {
          const p = problem(scope, h, w, c, c, make(h, w), 51);
          const w2 = uploadTensor(scope, packConvWeights(randomArray(c * c * 9, 57, 0.2), [c, c, 3, 3]), [3, 3, c, c]);
          const gamma2 = uploadTensor(scope, randomArray(c, 58).map((v) => 1 + 0.5 * v), [c]);
          const beta2 = uploadTensor(scope, randomArray(c, 59, 0.5), [c]);
          const gmask = emptyTensor(scope, [1, h, w, 1]);
          const dmask = emptyTensor(scope, [1, h, w, 1]);
          const masks = gateMaskProgram(scope, { gate: p.gate, mask: gmask, dilated: dmask });
          const c1 = compactPrograms(scope, dmask);
          const c2 = compactPrograms(scope, gmask);
          // y is the residual and the block input at once, as in the router.
          const y = p.input;
          const hSparse = emptyTensor(scope, [1, h, w, c]);
          const outSparse = emptyTensor(scope, [1, h, w, c]);
          const common = { groups: 32 } as const;
          const b1 = sparseConvBlockPrograms(scope, {
            ...common, input: y, weights: p.weights, gamma: p.gamma, beta: p.beta,
            strategy: { mode: 'auto', active: c1.active, crossover: 0.6 }, epilogue: { kind: 'relu' }, out: hSparse,
          });
          const b2 = sparseConvBlockPrograms(scope, {
            ...common, input: hSparse, weights: w2, gamma: gamma2, beta: beta2,
            strategy: { mode: 'auto', active: c2.active, crossover: 0.6 },
            epilogue: { kind: 'gated-residual', gate: p.gate, residual: y }, out: outSparse,
          });
          await rt.run([[masks, ...c1.programs, ...c2.programs], b1.programs, b2.programs]);

          // Dense-masked: conv1 → GN(mask m1) → ReLU (0 off m1); conv2 → GN(mask g) → ReLU(o·g + y).
          const conv1 = emptyTensor(scope, [1, h, w, c]);
          const hDense = emptyTensor(scope, [1, h, w, c]);
          const conv2 = emptyTensor(scope, [1, h, w, c]);
          const o = emptyTensor(scope, [1, h, w, c]);
          await rt.run([
            conv2dProgram(scope, { input: y, weights: p.weights, padding: 1, out: conv1 }),
            ...groupNormPrograms(scope, conv1, p.gamma, p.beta, hDense, { groups: 32, relu: true, pixels: { mode: 'mask', mask: dmask } }).programs,
            conv2dProgram(scope, { input: hDense, weights: w2, padding: 1, out: conv2 }),
            ...groupNormPrograms(scope, conv2, gamma2, beta2, o, { groups: 32, pixels: { mode: 'mask', mask: gmask } }).programs,
            gateResidualReluInPlaceProgram(scope, o, p.gate, y),
          ]);
          assertClose(await readTensor(rt, outSparse), await readTensor(rt, o), `depth path, mask ${maskName}`, TOLERANCE);
        }
      }),
  },
  {
    name: 'argument checks: batch > 1, missing index map, wrong mask shape',
    run: (rt) =>
      withScope(rt, 'sparse block args', async (scope) => {
        const p = problem(scope, 5, 6, 32, 32, randomGate(5, 6, 0.5, 1), 61);
        const mask = emptyTensor(scope, [1, 5, 6, 1]);
        const { active } = compactPrograms(scope, mask, { indexMap: false });
        const base = { weights: p.weights, gamma: p.gamma, beta: p.beta, groups: 32, epilogue: { kind: 'relu' as const }, out: emptyTensor(scope, [1, 5, 6, 32]) };
        await assertRejects(
          () => sparseConvBlockPrograms(scope, { ...base, input: emptyTensor(scope, [2, 5, 6, 32]), strategy: { mode: 'dense', mask } }),
          InvalidArgumentError,
          'N = 2',
        );
        await assertRejects(
          () => sparseConvBlockPrograms(scope, { ...base, input: p.input, strategy: { mode: 'sparse', active } }),
          InvalidArgumentError,
          'index map',
        );
        await assertRejects(
          () => sparseConvBlockPrograms(scope, { ...base, input: p.input, strategy: { mode: 'dense', mask: emptyTensor(scope, [1, 6, 5, 1]) } }),
          InvalidArgumentError,
          'mask',
        );
      }),
  },
]);
