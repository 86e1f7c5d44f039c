import { depthwiseConv3x3Program, packDepthwiseWeights } from '../../src/ops/depthwise-conv';
import { mulGateProgram } from '../../src/ops/elementwise';
import { groupNormPrograms } from '../../src/ops/group-norm';
import { scalePathPrograms, sparseDepthwisePrograms } from '../../src/ops/sparse-depthwise';
import { assert, assertClose } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { clusteredGate, randomGate } from '../harness/masks';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

const MASKS: [string, (h: number, w: number) => Float32Array][] = [
  ['0 %', (h, w) => new Float32Array(h * w)],
  ['100 %', (h, w) => randomGate(h, w, 1, 3)],
  ['random 30 %', (h, w) => randomGate(h, w, 0.3, 4)],
  ['clustered 25 %', (h, w) => clusteredGate(h, w, 0.25, 5)],
];

const SENTINEL = -3.5;

export default defineKernelSuite('sparse-depthwise', [
  {
    name: 'exact scale path (dense dw → dense GN → fused · gate) = dw → GroupNorm → mulGate; 13×21, C 32 and 64',
    run: (rt) =>
      withScope(rt, 'scale path', async (scope) => {
        const [h, w] = [13, 21];
        for (const c of [32, 64]) {
          const input = uploadTensor(scope, randomArray(h * w * c, c), [1, h, w, c]);
          const weights = uploadTensor(scope, packDepthwiseWeights(randomArray(c * 9, c + 1), c), [9, c]);
          const bias = uploadTensor(scope, randomArray(c, c + 2), [c]);
          const gamma = uploadTensor(scope, randomArray(c, c + 3).map((v) => 1 + 0.5 * v), [c]);
          const beta = uploadTensor(scope, randomArray(c, c + 4, 0.5), [c]);
          for (const [maskName, make] of MASKS) {
            const gate = uploadTensor(scope, make(h, w), [1, h, w, 1]);
            const dw = emptyTensor(scope, [1, h, w, c]);
            const normed = emptyTensor(scope, [1, h, w, c]);
            const expected = emptyTensor(scope, [1, h, w, c]);
            const out = uploadTensor(scope, new Float32Array(h * w * c).fill(Number.NaN), [1, h, w, c]);
            await rt.run([
              depthwiseConv3x3Program(scope, input, weights, bias, dw),
              ...groupNormPrograms(scope, dw, gamma, beta, normed, { groups: 32 }).programs,
              mulGateProgram(scope, normed, gate, expected),
              ...scalePathPrograms(scope, { input, weights, bias, gamma, beta, groups: 32, gate, out }),
            ]);
            assertClose(await readTensor(rt, out), await readTensor(rt, expected), `scale path C ${c}, mask ${maskName}`, 1e-5);
          }
        }
      }),
  },
  {
    name: 'gate-restricted depthwise: active pixels = dense dw, others untouched; fallback runs dense above the crossover',
    run: (rt) =>
      withScope(rt, 'sparse dw', async (scope) => {
        const [h, w, c] = [13, 21, 64];
        const input = uploadTensor(scope, randomArray(h * w * c, 71), [1, h, w, c]);
        const weights = uploadTensor(scope, packDepthwiseWeights(randomArray(c * 9, 72), c), [9, c]);
        const bias = uploadTensor(scope, randomArray(c, 73), [c]);
        const dense = emptyTensor(scope, [1, h, w, c]);
        await rt.run([depthwiseConv3x3Program(scope, input, weights, bias, dense)]);
        const full = await readTensor(rt, dense);
        for (const [maskName, make] of MASKS) {
          const gate = make(h, w);
          const density = gate.filter((v) => v > 0).length / gate.length;
          const mask = uploadTensor(scope, gate, [1, h, w, 1]);
          for (const crossover of [undefined, 0.5]) {
            for (const multiBlock of [false, true]) {
              const what = `mask ${maskName}, crossover ${crossover}${multiBlock ? ', block scan' : ''}`;
              const out = uploadTensor(scope, new Float32Array(h * w * c).fill(SENTINEL), [1, h, w, c]);
              const sparse = sparseDepthwisePrograms(scope, { input, weights, bias, mask, out, crossover, compact: { multiBlock } });
              await rt.run([sparse.programs]);
              const got = await readTensor(rt, out);
              const ranDense = crossover !== undefined && density > crossover;
              const expected = full.map((v, i) => (ranDense || gate[Math.floor(i / c)]! > 0 ? v : SENTINEL));
              assertClose(got, expected, `sparse dw, ${what}`, 1e-6);
              const [count] = await rt.readU32(sparse.active.count.buffer, 1);
              assert(count! > sparse.sparseLimit === ranDense, `${what}: count ${count}, limit ${sparse.sparseLimit}`);
            }
          }
        }
      }),
  },
]);
