import { InvalidArgumentError } from '../../src/errors';
import { bilinearResizeProgram, nearestUp2AddProgram } from '../../src/ops/resize';
import { bilinearResizeRef, nearestUp2AddRef } from '../../src/reference/resize';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

type Shape4 = [number, number, number, number];

export default defineKernelSuite('resize', [
  {
    name: 'bilinear align_corners=True matches hand-computed values',
    run: (rt) =>
      withScope(rt, 'bilinear known', async (scope) => {
        // [[0, 1], [2, 3]] → 3×3: corners kept, midpoints averaged.
        const src = uploadTensor(scope, new Float32Array([0, 1, 2, 3]), [1, 2, 2, 1]);
        const out = emptyTensor(scope, [1, 3, 3, 1]);
        await rt.run([bilinearResizeProgram(scope, src, out)]);
        assertClose(await readTensor(rt, out), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], 'bilinear 2×2→3×3', 1e-6);
        // Output of size 1 samples the first pixel (PyTorch: scale 0).
        const one = emptyTensor(scope, [1, 1, 1, 1]);
        await rt.run([bilinearResizeProgram(scope, src, one)]);
        assertClose(await readTensor(rt, one), [0], 'bilinear 2×2→1×1', 1e-6);
      }),
  },
  {
    name: 'bilinear down, up, k×k ↔ 1×1 and odd sizes, C = 3, 5, 64, N = 2',
    run: (rt) =>
      withScope(rt, 'bilinear', async (scope) => {
        const cases: [Shape4, number, number][] = [
          [[2, 13, 17, 5], 7, 9],
          [[1, 7, 9, 3], 13, 17],
          [[1, 1, 1, 64], 5, 5],
          [[2, 5, 5, 3], 1, 1],
          [[1, 1, 7, 5], 3, 1],
          [[1, 25, 42, 64], 13, 21],
          [[1, 13, 21, 64], 25, 42],
          [[1, 100, 3, 3], 37, 11],
        ];
        for (const [i, [shape, oh, ow]] of cases.entries()) {
          const [n, , , c] = shape;
          const x = randomArray(shape.reduce((a, b) => a * b), 30 + i);
          const out = emptyTensor(scope, [n, oh, ow, c]);
          await rt.run([bilinearResizeProgram(scope, uploadTensor(scope, x, shape), out)]);
          assertClose(await readTensor(rt, out), bilinearResizeRef(x, shape, oh, ow), `bilinear ${shape.join('×')} → ${oh}×${ow}`);
        }
      }),
  },
  {
    name: 'bilinear to the same size is the identity',
    run: (rt) =>
      withScope(rt, 'bilinear identity', async (scope) => {
        const shape: Shape4 = [1, 11, 19, 7];
        const x = randomArray(11 * 19 * 7, 9);
        const out = emptyTensor(scope, shape);
        await rt.run([bilinearResizeProgram(scope, uploadTensor(scope, x, shape), out)]);
        const got = await readTensor(rt, out);
        assert(got.every((v, i) => v === x[i]), 'same-size bilinear must copy exactly');
      }),
  },
  {
    name: 'bilinear accumulate: out += resize(src), two paths summed',
    run: (rt) =>
      withScope(rt, 'bilinear accumulate', async (scope) => {
        const target: Shape4 = [1, 11, 15, 6];
        const fine: Shape4 = [1, 21, 29, 6];
        const coarse: Shape4 = [1, 6, 8, 6];
        const base = randomArray(11 * 15 * 6, 1);
        const a = randomArray(21 * 29 * 6, 2);
        const b = randomArray(6 * 8 * 6, 3);
        const out = uploadTensor(scope, base, target);
        await rt.run([
          bilinearResizeProgram(scope, uploadTensor(scope, a, fine), out, { accumulate: true }),
          bilinearResizeProgram(scope, uploadTensor(scope, b, coarse), out, { accumulate: true }),
        ]);
        const ra = bilinearResizeRef(a, fine, 11, 15);
        const rb = bilinearResizeRef(b, coarse, 11, 15);
        assertClose(await readTensor(rt, out), base.map((v, i) => v + ra[i]! + rb[i]!), 'accumulate');
      }),
  },
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
        const src = emptyTensor(scope, [1, 6, 6, 4]);
        await assertRejects(() => bilinearResizeProgram(scope, src, emptyTensor(scope, [1, 3, 3, 5])), InvalidArgumentError, 'out');
        await assertRejects(() => bilinearResizeProgram(scope, src, emptyTensor(scope, [2, 3, 3, 4])), InvalidArgumentError, 'out');
        await assertRejects(() => bilinearResizeProgram(scope, src, { buffer: src.buffer, shape: [1, 3, 3, 4] }), InvalidArgumentError, 'out');
        await assertRejects(() => bilinearResizeProgram(scope, src, emptyTensor(scope, [1, 0, 3, 4])), InvalidArgumentError, 'out');
        await assertRejects(() => bilinearResizeProgram(scope, emptyTensor(scope, [6, 6, 4]), src), InvalidArgumentError, 'src');
        const lat = emptyTensor(scope, [1, 7, 9, 4]);
        const top = emptyTensor(scope, [1, 4, 5, 4]);
        await assertRejects(() => nearestUp2AddProgram(scope, lat, emptyTensor(scope, [1, 3, 5, 4]), lat), InvalidArgumentError, 'top');
        await assertRejects(() => nearestUp2AddProgram(scope, lat, top, emptyTensor(scope, [1, 7, 9, 3])), InvalidArgumentError, 'out');
        await assertRejects(() => nearestUp2AddProgram(scope, lat, top, { buffer: top.buffer, shape: [1, 7, 9, 4] }), InvalidArgumentError, 'out');
      }),
  },
]);
