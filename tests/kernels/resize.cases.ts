import { InvalidArgumentError } from '../../src/errors';
import { nearestUp2AddProgram } from '../../src/ops/resize';
import { nearestUp2AddRef } from '../../src/reference/resize';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

type Shape4 = [number, number, number, number];

export default defineKernelSuite('resize', [




  {
    name: 'nearest ×2 upsample + lateral add, odd and even sizes, in place',
    run: (rt) =>
      withScope(rt, 'nearest', async (scope) => {
        for (const [i, shape] of ([[2, 13, 17, 5], [1, 8, 6, 64], [1, 1, 1, 3], [1, 25, 1, 19]] as Shape4[]).entries()) {
          const [n, h, w, c] = shape;
          const topShape: Shape4 = [n, Math.ceil(h / 2), Math.ceil(w / 2), c];
          const lat = randomArray(n * h * w * c, 50 + i);
          const top = randomArray(topShape.reduce((a, b) => a * b), 60 + i);
          const expected = nearestUp2AddRef(lat, shape, top);
          const topT = uploadTensor(scope, top, topShape);
          const out = emptyTensor(scope, shape);
          const latT = uploadTensor(scope, lat, shape);
          await rt.run([nearestUp2AddProgram(scope, latT, topT, out)]);
          assertClose(await readTensor(rt, out), expected, `nearest ${shape.join('×')}`);
          await rt.run([nearestUp2AddProgram(scope, latT, topT, latT)]);
          assertClose(await readTensor(rt, latT), expected, `nearest in place ${shape.join('×')}`);
        }
      }),
  },
  {
    name: 'mismatched shapes and aliasing are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'resize invalid', async (scope) => {
        const lat = emptyTensor(scope, [1, 7, 9, 4]);
        const top = emptyTensor(scope, [1, 4, 5, 4]);
        await assertRejects(() => nearestUp2AddProgram(scope, lat, emptyTensor(scope, [1, 3, 5, 4]), lat), InvalidArgumentError, 'top');
        await assertRejects(() => nearestUp2AddProgram(scope, lat, top, emptyTensor(scope, [1, 7, 9, 3])), InvalidArgumentError, 'out');
        await assertRejects(() => nearestUp2AddProgram(scope, lat, top, { buffer: top.buffer, shape: [1, 7, 9, 4] }), InvalidArgumentError, 'out');
      }),
  },
]);
