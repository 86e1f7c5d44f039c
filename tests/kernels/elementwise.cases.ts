import { InvalidArgumentError } from '../../src/errors';
import {
  addProgram,
  axpbyInPlaceProgram,
  gateResidualReluInPlaceProgram,
  mulGateProgram,
  reluProgram,
  scaleProgram,
} from '../../src/ops/elementwise';
import { addRef, axpbyRef, gateResidualReluRef, mulGateRef, reluRef, scaleRef } from '../../src/reference/elementwise';
import { assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

// 1×37×53×19 = 37 259 elements: not a multiple of the 256-thread workgroup.
const SHAPE = [1, 37, 53, 19];
const N = 37 * 53 * 19;

export default defineKernelSuite('elementwise', [
  {
    name: 'vector add (+ fused ReLU) on 37 259 elements',
    run: (rt) =>
      withScope(rt, 'add', async (scope) => {
        const a = randomArray(N, 1);
        const b = randomArray(N, 2);
        const ta = uploadTensor(scope, a, SHAPE);
        const tb = uploadTensor(scope, b, SHAPE);
        const out = emptyTensor(scope, SHAPE);
        const outRelu = emptyTensor(scope, SHAPE);
        await rt.run([addProgram(scope, ta, tb, out), addProgram(scope, ta, tb, outRelu, true)]);
        assertClose(await readTensor(rt, out), addRef(a, b), 'add');
        assertClose(await readTensor(rt, outRelu), addRef(a, b, true), 'add+relu');
      }),
  },
  {
    name: 'scale by a host scalar and by a scalar tensor',
    run: (rt) =>
      withScope(rt, 'scale', async (scope) => {
        const a = randomArray(1001, 3);
        const ta = uploadTensor(scope, a, [1001]);
        const s = uploadTensor(scope, new Float32Array([-0.75]), [1]);
        const out1 = emptyTensor(scope, [1001]);
        const out2 = emptyTensor(scope, [1001]);
        await rt.run([scaleProgram(scope, ta, 1.25, out1), scaleProgram(scope, ta, s, out2)]);
        assertClose(await readTensor(rt, out1), scaleRef(a, 1.25), 'scale(host)');
        assertClose(await readTensor(rt, out2), scaleRef(a, -0.75), 'scale(tensor)');
      }),
  },
  {
    name: 'per-pixel gate multiply, C = 3, 5, 64',
    run: (rt) =>
      withScope(rt, 'gate', async (scope) => {
        for (const c of [3, 5, 64]) {
          const shape = [1, 13, 11, c];
          const a = randomArray(13 * 11 * c, 10 + c);
          const g = randomArray(13 * 11, 20 + c).map((v) => Math.max(v, 0));
          const out = emptyTensor(scope, shape);
          await rt.run([
            mulGateProgram(scope, uploadTensor(scope, a, shape), uploadTensor(scope, g, [1, 13, 11, 1]), out),
          ]);
          assertClose(await readTensor(rt, out), mulGateRef(a, g, c), `mul_gate C=${c}`);
        }
      }),
  },
  {
    name: 'scalar tensor × constant factor with ReLU (box regression: ReLU(x·scale)·stride)',
    run: (rt) =>
      withScope(rt, 'scale factor', async (scope) => {
        const a = randomArray(999, 5);
        const s = uploadTensor(scope, new Float32Array([0.8]), [1]);
        const out = emptyTensor(scope, [999]);
        await rt.run([scaleProgram(scope, uploadTensor(scope, a, [999]), s, out, 16, true)]);
        assertClose(await readTensor(rt, out), reluRef(scaleRef(scaleRef(a, 0.8), 16)), 'relu(x·s)·16');
      }),
  },
  {
    name: 'axpby in place with learned scalars (router: sum·scale_weight + x·output_weight)',
    run: (rt) =>
      withScope(rt, 'axpby', async (scope) => {
        const acc = randomArray(N, 6);
        const b = randomArray(N, 7);
        const tAcc = uploadTensor(scope, acc, SHAPE);
        await rt.run([
          axpbyInPlaceProgram(
            scope,
            tAcc,
            uploadTensor(scope, new Float32Array([0.7]), [1]),
            uploadTensor(scope, b, SHAPE),
            uploadTensor(scope, new Float32Array([1.3]), [1]),
          ),
        ]);
        assertClose(await readTensor(rt, tAcc), axpbyRef(acc, Math.fround(0.7), b, Math.fround(1.3)), 'axpby');
      }),
  },
  {
    name: 'gate · o + residual, ReLU, in place (depth path output), C = 19',
    run: (rt) =>
      withScope(rt, 'gate residual', async (scope) => {
        const o = randomArray(N, 8);
        const y = randomArray(N, 9);
        const g = randomArray(37 * 53, 10).map((v) => Math.max(v, 0));
        const tO = uploadTensor(scope, o, SHAPE);
        await rt.run([
          gateResidualReluInPlaceProgram(scope, tO, uploadTensor(scope, g, [1, 37, 53, 1]), uploadTensor(scope, y, SHAPE)),
        ]);
        assertClose(await readTensor(rt, tO), gateResidualReluRef(o, g, y, 19), 'relu(o·g + y)');
      }),
  },
  {
    name: 'ReLU in place',
    run: (rt) =>
      withScope(rt, 'relu', async (scope) => {
        const a = randomArray(517, 4);
        const t = uploadTensor(scope, a, [517]);
        await rt.run([reluProgram(scope, t, t)]);
        assertClose(await readTensor(rt, t), reluRef(a), 'relu');
      }),
  },
  {
    name: 'shape mismatch and zero-size tensors are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'invalid', async (scope) => {
        const a = emptyTensor(scope, [4, 4]);
        const b = emptyTensor(scope, [4, 5]);
        await assertRejects(() => addProgram(scope, a, b, a), InvalidArgumentError, 'b');
        await assertRejects(() => reluProgram(scope, { buffer: a.buffer, shape: [0, 4] }, a), InvalidArgumentError, 'a');
        const img = emptyTensor(scope, [1, 4, 4, 8]);
        await assertRejects(() => mulGateProgram(scope, img, emptyTensor(scope, [1, 4, 3, 1]), img), InvalidArgumentError, 'gate');
        await assertRejects(() => scaleProgram(scope, a, Number.NaN, a), InvalidArgumentError, 'scalar');
      }),
  },
]);
