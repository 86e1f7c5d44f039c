import { InvalidArgumentError } from '../../src/errors';
import { addProgram, reluProgram } from '../../src/ops/elementwise';
import { addRef, reluRef } from '../../src/reference/elementwise';
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
      }),
  },
]);
