import { InvalidArgumentError } from '../../src/errors';
import { maxPool3x3OutputSize, maxPool3x3Program } from '../../src/ops/max-pool';
import { maxPool3x3Ref } from '../../src/reference/max-pool';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray, rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

type Shape4 = [number, number, number, number];

export default defineKernelSuite('max-pool', [
  {
    name: 'output size follows PyTorch floor((H + 2 − 3) / s) + 1',
    run: async () => {
      for (const [size, stride, expected] of [[1, 2, 1], [2, 2, 1], [3, 2, 2], [400, 2, 200], [401, 2, 201], [7, 1, 7]]) {
        const got = maxPool3x3OutputSize(size!, stride!);
        assert(got === expected, `size ${size}/${stride}: got ${got}, expected ${expected}`);
      }
    },
  },
  {
    name: 'stride 2 (ResNet stem) over odd and even sizes on all-negative data, C = 3, 5, 19, 64',
    run: (rt) =>
      withScope(rt, 'maxpool s2', async (scope) => {
        const shapes: Shape4[] = [[1, 37, 53, 19], [2, 8, 6, 3], [1, 1, 1, 5], [1, 2, 3, 64], [1, 9, 1, 5]];
        for (const [i, shape] of shapes.entries()) {
          const [n, h, w, c] = shape;
          // Negative values: padding treated as 0 instead of −inf would show up at the border.
          const x = randomArray(n * h * w * c, 70 + i).map((v) => v - 2);
          const out = emptyTensor(scope, [n, maxPool3x3OutputSize(h, 2), maxPool3x3OutputSize(w, 2), c]);
          await rt.run([maxPool3x3Program(scope, uploadTensor(scope, x, shape), out, 2)]);
          assertClose(await readTensor(rt, out), maxPool3x3Ref(x, shape, 2), `max-pool/2 ${shape.join('×')}`, 0);
        }
      }),
  },
  {
    name: 'stride 1: dilation of a sparse gate mask (C = 1) and a C = 5 map',
    run: (rt) =>
      withScope(rt, 'maxpool s1', async (scope) => {
        for (const [i, shape] of ([[2, 13, 17, 1], [1, 11, 7, 5]] as Shape4[]).entries()) {
          const next = rng(80 + i);
          const x = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => (next() < 0.08 ? next() : 0));
          const out = emptyTensor(scope, shape);
          await rt.run([maxPool3x3Program(scope, uploadTensor(scope, x, shape), out, 1)]);
          assertClose(await readTensor(rt, out), maxPool3x3Ref(x, shape, 1), `max-pool/1 ${shape.join('×')}`, 0);
        }
      }),
  },
  {
    name: 'bad stride, shapes and aliasing are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'maxpool invalid', async (scope) => {
        const x = emptyTensor(scope, [1, 7, 9, 4]);
        await assertRejects(() => maxPool3x3Program(scope, x, emptyTensor(scope, [1, 3, 3, 4]), 3 as 2), InvalidArgumentError, 'stride');
        await assertRejects(() => maxPool3x3Program(scope, x, emptyTensor(scope, [1, 3, 5, 4]), 2), InvalidArgumentError, 'out');
        await assertRejects(() => maxPool3x3Program(scope, x, emptyTensor(scope, [1, 4, 5, 3]), 2), InvalidArgumentError, 'out');
        await assertRejects(() => maxPool3x3Program(scope, x, x, 1), InvalidArgumentError, 'out');
        await assertRejects(() => maxPool3x3Program(scope, { buffer: x.buffer, shape: [1, 7, 0, 4] }, x, 1), InvalidArgumentError, 'input');
      }),
  },
]);
