import { InvalidArgumentError } from '../../src/errors';
import { packConvWeights } from '../../src/ops/conv2d';
import { spatialGateProgram, type GateActivation } from '../../src/ops/spatial-gate';
import { spatialGateRef } from '../../src/reference/spatial-gate';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite, type KernelCase } from '../harness/suite';

function gateCase(
  shape: [number, number, number, number],
  activation: GateActivation,
  seed: number,
  weightScale: number,
  tau?: number,
): KernelCase {
  const name = `${activation}${tau !== undefined ? ` τ=${tau}` : ''} gate of ${shape.join('×')}, |w| ≤ ${weightScale}`;
  return {
    name,
    run: (rt) =>
      withScope(rt, 'spatial gate', async (scope) => {
        const [n, h, w, c] = shape;
        const x = randomArray(n * h * w * c, seed);
        const wt = randomArray(9 * c, seed + 1, weightScale);
        const bias = randomArray(1, seed + 2)[0]!;
        const gate = emptyTensor(scope, [n, h, w, 1]);
        const logits = emptyTensor(scope, [n, h, w, 1]);
        await rt.run([
          spatialGateProgram(scope, {
            input: uploadTensor(scope, x, shape),
            weights: uploadTensor(scope, packConvWeights(wt, [1, c, 3, 3]), [3, 3, c, 1]),
            bias: uploadTensor(scope, new Float32Array([bias]), [1]),
            gate,
            logits,
            activation,
            tau,
          }),
        ]);
        const ref = spatialGateRef(x, shape, wt, bias, activation, tau);
        const gotLogits = await readTensor(rt, logits);
        const gotGate = await readTensor(rt, gate);
        assertClose(gotLogits, ref.logits, `${name}: logits`);
        assertClose(gotGate, ref.gate, `${name}: gate`);
        assert(gotGate.every(Number.isFinite), `${name}: non-finite gate value`);
        if (activation === 'geretanh') {
          let zeros = 0;
          gotLogits.forEach((v, i) => {
            if (v <= 0) {
              zeros++;
              assert(gotGate[i] === 0, `${name}: logit ${v} ≤ 0 at ${i} gave gate ${gotGate[i]}, expected exactly 0`);
            }
          });
          assert(zeros > 0 && zeros < gotLogits.length, `${name}: test data should have both signs of logits`);
        }
      }),
  };
}

export default defineKernelSuite('spatial-gate', [
  gateCase([1, 37, 53, 5], 'geretanh', 10, 0.5),
  gateCase([2, 19, 23, 64], 'geretanh', 20, 0.1),
  gateCase([1, 13, 17, 256], 'geretanh', 30, 0.05),
  // Logits of ±40 and beyond: tanh and sigmoid must saturate, not overflow to NaN.
  gateCase([1, 11, 9, 256], 'geretanh', 35, 1),
  gateCase([1, 11, 9, 256], 'retanh', 36, 1),
  gateCase([1, 11, 9, 256], 'sigmoid', 37, 1),
  gateCase([1, 21, 15, 5], 'retanh', 40, 0.5),
  gateCase([2, 9, 13, 64], 'sigmoid', 50, 0.1),
  gateCase([1, 7, 5, 3], 'geretanh', 60, 1, 0.5),
  gateCase([1, 1, 1, 4], 'sigmoid', 70, 1),
  {
    name: 'every lanes-per-pixel split (1 … 256) gives the same gate, C = 5 and 64',
    run: (rt) =>
      withScope(rt, 'spatial gate lanes', async (scope) => {
        for (const c of [5, 64]) {
          const shape = [1, 9, 13, c] as [number, number, number, number];
          const x = randomArray(9 * 13 * c, 90 + c);
          const wt = randomArray(9 * c, 91 + c, 0.2);
          const input = uploadTensor(scope, x, shape);
          const weights = uploadTensor(scope, packConvWeights(wt, [1, c, 3, 3]), [3, 3, c, 1]);
          const bias = uploadTensor(scope, new Float32Array([0.1]), [1]);
          const expected = spatialGateRef(x, shape, wt, 0.1, 'retanh');
          for (const lanes of [1, 2, 8, 32, 256]) {
            const gate = emptyTensor(scope, [1, 9, 13, 1]);
            const logits = emptyTensor(scope, [1, 9, 13, 1]);
            await rt.run([spatialGateProgram(scope, { input, weights, bias, gate, logits, activation: 'retanh', lanes })]);
            assertClose(await readTensor(rt, logits), expected.logits, `C=${c} lanes=${lanes}: logits`);
            assertClose(await readTensor(rt, gate), expected.gate, `C=${c} lanes=${lanes}: gate`);
          }
        }
      }),
  },
  {
    name: 'gate output without logits',
    run: (rt) =>
      withScope(rt, 'spatial gate (no logits)', async (scope) => {
        const shape = [1, 6, 7, 12] as [number, number, number, number];
        const x = randomArray(6 * 7 * 12, 80);
        const wt = randomArray(9 * 12, 81, 0.3);
        const gate = emptyTensor(scope, [1, 6, 7, 1]);
        await rt.run([
          spatialGateProgram(scope, {
            input: uploadTensor(scope, x, shape),
            weights: uploadTensor(scope, packConvWeights(wt, [1, 12, 3, 3]), [3, 3, 12, 1]),
            bias: uploadTensor(scope, new Float32Array([0.25]), [1]),
            gate,
          }),
        ]);
        assertClose(await readTensor(rt, gate), spatialGateRef(x, shape, wt, 0.25, 'geretanh').gate, 'gate');
      }),
  },
  {
    name: 'invalid arguments are rejected before dispatch, naming the parameter',
    run: (rt) =>
      withScope(rt, 'spatial gate invalid', async (scope) => {
        const input = emptyTensor(scope, [1, 5, 5, 8]);
        const base = {
          input,
          weights: emptyTensor(scope, [3, 3, 8, 1]),
          bias: emptyTensor(scope, [1]),
          gate: emptyTensor(scope, [1, 5, 5, 1]),
        };
        await assertRejects(() => spatialGateProgram(scope, { ...base, weights: emptyTensor(scope, [3, 3, 7, 1]) }), InvalidArgumentError, 'weights');
        await assertRejects(() => spatialGateProgram(scope, { ...base, weights: emptyTensor(scope, [1, 1, 8, 1]) }), InvalidArgumentError, 'weights');
        await assertRejects(() => spatialGateProgram(scope, { ...base, weights: emptyTensor(scope, [3, 3, 8, 2]) }), InvalidArgumentError, 'weights');
        await assertRejects(() => spatialGateProgram(scope, { ...base, bias: emptyTensor(scope, [2]) }), InvalidArgumentError, 'bias');
        await assertRejects(() => spatialGateProgram(scope, { ...base, gate: emptyTensor(scope, [1, 5, 4, 1]) }), InvalidArgumentError, 'gate');
        await assertRejects(() => spatialGateProgram(scope, { ...base, logits: emptyTensor(scope, [1, 5, 5, 2]) }), InvalidArgumentError, 'logits');
        await assertRejects(() => spatialGateProgram(scope, { ...base, logits: base.gate }), InvalidArgumentError, 'logits');
        await assertRejects(() => spatialGateProgram(scope, { ...base, gate: { buffer: input.buffer, shape: [1, 5, 5, 1] } }), InvalidArgumentError, 'gate');
        await assertRejects(() => spatialGateProgram(scope, { ...base, input: { buffer: input.buffer, shape: [1, 0, 5, 8] } }), InvalidArgumentError, 'input');
        await assertRejects(() => spatialGateProgram(scope, { ...base, tau: Number.NaN }), InvalidArgumentError, 'tau');
        await assertRejects(() => spatialGateProgram(scope, { ...base, lanes: 3 }), InvalidArgumentError, 'lanes');
        await assertRejects(() => spatialGateProgram(scope, { ...base, lanes: 512 }), InvalidArgumentError, 'lanes');
        await assertRejects(
          () => spatialGateProgram(scope, { ...base, activation: 'relu' as unknown as GateActivation }),
          InvalidArgumentError,
          'activation',
        );
      }),
  },
]);
