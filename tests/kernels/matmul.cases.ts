import { InvalidArgumentError } from '../../src/errors';
import { matmulProgram } from '../../src/ops/matmul';
import { matmulRef } from '../../src/reference/matmul';
import { assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

function matmulCase(m: number, k: number, n: number, withBias: boolean, relu: boolean) {
  return {
    name: `tiled matmul ${m}×${k} · ${k}×${n}${withBias ? ' + bias' : ''}${relu ? ' + ReLU' : ''}`,
    run: (rt: Parameters<typeof withScope>[0]) =>
      withScope(rt, 'matmul', async (scope) => {
        const a = randomArray(m * k, m * 31 + k);
        const b = randomArray(k * n, k * 17 + n);
        const bias = withBias ? randomArray(n, n) : undefined;
        const out = emptyTensor(scope, [m, n]);
        await rt.run([
          matmulProgram(scope, {
            a: uploadTensor(scope, a, [m, k]),
            b: uploadTensor(scope, b, [k, n]),
            bias: bias ? uploadTensor(scope, bias, [n]) : undefined,
            out,
            relu,
          }),
        ]);
        assertClose(await readTensor(rt, out), matmulRef(a, b, m, k, n, bias, relu), 'matmul');
      }),
  };
}

export default defineKernelSuite('matmul', [
  matmulCase(1, 1, 1, false, false),
  matmulCase(37, 53, 19, false, false),
  matmulCase(65, 17, 129, true, true),
  matmulCase(128, 256, 64, true, false),
  {
    name: 'inner-dimension mismatch is rejected',
    run: (rt) =>
      withScope(rt, 'matmul invalid', async (scope) => {
        const a = emptyTensor(scope, [4, 5]);
        const b = emptyTensor(scope, [6, 3]);
        await assertRejects(() => matmulProgram(scope, { a, b, out: emptyTensor(scope, [4, 3]) }), InvalidArgumentError, 'b');
      }),
  },
]);
