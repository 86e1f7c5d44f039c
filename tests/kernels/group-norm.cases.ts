import { InvalidArgumentError } from '../../src/errors';
import { groupNormApplyProgram, groupNormPrograms, groupNormStatisticsPrograms } from '../../src/ops/group-norm';
import type { Tensor } from '../../src/ops/tensor';
import { groupNormRef, groupNormRowsRef } from '../../src/reference/group-norm';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray, rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

type Shape4 = [number, number, number, number];

function affine(c: number, seed: number) {
  return { gamma: randomArray(c, seed, 2), beta: randomArray(c, seed + 1) };
}

/** Conv-output-like data: uniform noise of `scale` around `offset`. */
function data(length: number, seed: number, offset = 0, scale = 1): Float32Array {
  return randomArray(length, seed, scale).map((v) => v + offset);
}

const SENTINEL = -3.5;

export default defineKernelSuite('group-norm', [
  {
    name: 'dense over odd shapes, C = 3, 5, 20, 64, 256, with and without ReLU',
    run: (rt) =>
      withScope(rt, 'gn dense', async (scope) => {
        const cases: [Shape4, number, boolean][] = [
          [[2, 7, 9, 3], 3, false],
          [[1, 13, 11, 5], 1, true],
          [[1, 37, 53, 20], 4, false],
          [[1, 9, 13, 64], 32, true],
          [[2, 5, 7, 256], 32, false],
          [[1, 1, 1, 8], 2, false],
        ];
        for (const [i, [shape, groups, relu]] of cases.entries()) {
          const c = shape[3];
          const x = data(shape.reduce((a, b) => a * b), 10 + i, 0.3, 2);
          const { gamma, beta } = affine(c, 20 + i);
          const out = emptyTensor(scope, shape);
          const { programs } = groupNormPrograms(
            scope,
            uploadTensor(scope, x, shape),
            uploadTensor(scope, gamma, [c]),
            uploadTensor(scope, beta, [c]),
            out,
            { groups, relu },
          );
          await rt.run([programs]);
          assertClose(await readTensor(rt, out), groupNormRef(x, shape, { groups, gamma, beta, relu }), `GN ${shape.join('×')} G=${groups}`);
        }
      }),
  },
  {
    name: 'large means (+50, +500) and many pixels (split reduction), in place',
    run: (rt) =>
      withScope(rt, 'gn offset', async (scope) => {
        const shape: Shape4 = [1, 50, 70, 64];
        const c = shape[3];
        const { gamma, beta } = affine(c, 5);
        // +500 with unit noise: E[x²] − E[x]² in f32 would lose every digit; a centred method keeps ~1e-4.
        for (const [offset, tol] of [[50, 1e-4], [500, 1e-3]] as const) {
          const x = data(50 * 70 * c, offset, offset, 1);
          const t = uploadTensor(scope, x, shape);
          // 8 channels per group as in the head: 28 000 elements per group, reduced in 7 chunks.
          const { programs } = groupNormPrograms(scope, t, uploadTensor(scope, gamma, [c]), uploadTensor(scope, beta, [c]), t, {
            groups: 8,
          });
          await rt.run([programs]);
          assertClose(await readTensor(rt, t), groupNormRef(x, shape, { groups: 8, gamma, beta }), `GN offset ${offset}`, tol);
        }
      }),
  },
  {
    name: 'mask mode: statistics over active pixels only, zeros elsewhere, empty image gives zeros',
    run: (rt) =>
      withScope(rt, 'gn mask', async (scope) => {
        for (const [shape, groups] of [[[2, 11, 13, 64], 32], [[3, 9, 7, 5], 5]] as [Shape4, number][]) {
          const [n, h, w, c] = shape;
          const next = rng(c);
          // Gate-like values: ~30% positive, the rest exactly 0; the last image has no active pixel.
          const mask = Float32Array.from({ length: n * h * w }, (_, i) =>
            i >= (n - 1) * h * w ? 0 : next() < 0.3 ? next() + 0.01 : 0,
          );
          const x = data(n * h * w * c, 40 + c, 50, 1);
          const { gamma, beta } = affine(c, 41);
          const maskT = uploadTensor(scope, mask, [n, h, w, 1]);
          const expected = groupNormRef(x, shape, { groups, gamma, beta, relu: true, mask });
          for (const inPlace of [false, true]) {
            const input = uploadTensor(scope, x, shape);
            const out = inPlace ? input : uploadTensor(scope, new Float32Array(x.length).fill(SENTINEL), shape);
            const { programs, stats } = groupNormPrograms(scope, input, uploadTensor(scope, gamma, [c]), uploadTensor(scope, beta, [c]), out, {
              groups,
              relu: true,
              pixels: { mode: 'mask', mask: maskT },
            });
            await rt.run([programs]);
            assertClose(await readTensor(rt, out), expected, `GN mask ${shape.join('×')} inPlace=${inPlace}`);
            const s = await readTensor(rt, stats);
            for (let i = (n - 1) * groups * 2; i < n * groups * 2; i++) assert(s[i] === 0, `empty image stats[${i}] = ${s[i]}`);
          }
        }
      }),
  },
  {
    name: 'rows mode: first count[0] rows of a compact [maxRows, C] tensor; count 0 and count > maxRows',
    run: (rt) =>
      withScope(rt, 'gn rows', async (scope) => {
        const maxRows = 53;
        const c = 64;
        const x = data(maxRows * c, 77, 50, 2);
        const { gamma, beta } = affine(c, 78);
        const g = uploadTensor(scope, gamma, [c]);
        const b = uploadTensor(scope, beta, [c]);
        for (const count of [37, 1, 0, 80]) {
          const effective = Math.min(count, maxRows);
          const countT: Tensor = { buffer: scope.upload(new Uint32Array([count])), shape: [1] };
          const out = uploadTensor(scope, new Float32Array(maxRows * c).fill(SENTINEL), [maxRows, c]);
          const { programs, stats } = groupNormPrograms(scope, uploadTensor(scope, x, [maxRows, c]), g, b, out, {
            groups: 32,
            pixels: { mode: 'rows', count: countT },
          });
          await rt.run([programs]);
          const expected = new Float32Array(maxRows * c).fill(SENTINEL);
          expected.set(groupNormRowsRef(x, c, effective, { groups: 32, gamma, beta }));
          assertClose(await readTensor(rt, out), expected, `GN rows count=${count}`);
          const s = await readTensor(rt, stats);
          assert(s.every((v) => Number.isFinite(v)), `rows count=${count}: stats not finite`);
          if (count === 0) assert(s.every((v) => v === 0), 'empty row set must give zero statistics');
        }
      }),
  },
  {
    name: 'statistics reused by a separate apply step',
    run: (rt) =>
      withScope(rt, 'gn split', async (scope) => {
        const shape: Shape4 = [1, 15, 17, 32];
        const x = data(15 * 17 * 32, 90, -20, 3);
        const { gamma, beta } = affine(32, 91);
        const input = uploadTensor(scope, x, shape);
        const options = { groups: 8 };
        const { programs, stats } = groupNormStatisticsPrograms(scope, input, options);
        const out = emptyTensor(scope, shape);
        programs.push(groupNormApplyProgram(scope, input, stats, uploadTensor(scope, gamma, [32]), uploadTensor(scope, beta, [32]), out, options));
        await rt.run([programs]);
        assertClose(await readTensor(rt, out), groupNormRef(x, shape, { groups: 8, gamma, beta }), 'GN stats + apply');
      }),
  },
  {
    name: 'bad groups, shapes, eps and masks are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'gn invalid', async (scope) => {
        const x = emptyTensor(scope, [1, 4, 5, 12]);
        const g = emptyTensor(scope, [12]);
        const b = emptyTensor(scope, [12]);
        const out = emptyTensor(scope, [1, 4, 5, 12]);
        await assertRejects(() => groupNormPrograms(scope, x, g, b, out, { groups: 5 }), InvalidArgumentError, 'groups');
        await assertRejects(() => groupNormPrograms(scope, x, g, b, out, { groups: 0 }), InvalidArgumentError, 'groups');
        await assertRejects(() => groupNormPrograms(scope, x, emptyTensor(scope, [8]), b, out, { groups: 4 }), InvalidArgumentError, 'gamma');
        await assertRejects(() => groupNormPrograms(scope, x, g, emptyTensor(scope, [13]), out, { groups: 4 }), InvalidArgumentError, 'beta');
        await assertRejects(() => groupNormPrograms(scope, x, g, b, emptyTensor(scope, [1, 5, 4, 12]), { groups: 4 }), InvalidArgumentError, 'out');
        await assertRejects(() => groupNormPrograms(scope, x, g, b, out, { groups: 4, eps: Number.NaN }), InvalidArgumentError, 'eps');
        await assertRejects(() => groupNormPrograms(scope, { buffer: x.buffer, shape: [1, 0, 5, 12] }, g, b, out, { groups: 4 }), InvalidArgumentError, 'input');
        await assertRejects(
          () => groupNormPrograms(scope, x, g, b, out, { groups: 4, pixels: { mode: 'mask', mask: emptyTensor(scope, [1, 4, 5, 2]) } }),
          InvalidArgumentError,
          'mask',
        );
        const count: Tensor = { buffer: scope.upload(new Uint32Array([1])), shape: [1] };
        await assertRejects(() => groupNormPrograms(scope, x, g, b, out, { groups: 4, pixels: { mode: 'rows', count } }), InvalidArgumentError, 'input');
        await assertRejects(() => groupNormApplyProgram(scope, x, emptyTensor(scope, [1, 3, 2]), g, b, out, { groups: 4 }), InvalidArgumentError, 'stats');
      }),
  },
]);
