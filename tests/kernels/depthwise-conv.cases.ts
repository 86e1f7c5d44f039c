import { InvalidArgumentError } from '../../src/errors';
import type { BufferScope } from '../../src/gpu/buffers';
import type { Tensor } from '../../src/ops/tensor';
import { depthwiseConv3x3Program, depthwiseRowsPerWorkgroup, packDepthwiseWeights } from '../../src/ops/depthwise-conv';
import { depthwiseConv3x3Ref } from '../../src/reference/depthwise-conv';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray, rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

type Shape4 = [number, number, number, number];

function problem(shape: Shape4, seed: number) {
  const [n, h, w, c] = shape;
  const input = randomArray(n * h * w * c, seed);
  const torchWeight = randomArray(c * 9, seed + 1);
  const weights = packDepthwiseWeights(torchWeight, c);
  const bias = randomArray(c, seed + 2);
  return { input, torchWeight, weights, bias, expected: depthwiseConv3x3Ref(input, shape, weights, bias) };
}

/** `count` distinct pixels of `pixels`, in shuffled order. */
function pickPixels(pixels: number, count: number, seed: number): Uint32Array {
  const next = rng(seed);
  const all = Array.from({ length: pixels }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return Uint32Array.from(all.slice(0, count));
}

const SENTINEL = 7.25;

function uploadU32(scope: BufferScope, values: ArrayLike<number>): Tensor {
  return { buffer: scope.upload(Uint32Array.from(values)), shape: [values.length] };
}

export default defineKernelSuite('depthwise-conv', [
  {
    name: 'packDepthwiseWeights maps [C,1,3,3] to tap-major [9,C]',
    run: async () => {
      const c = 5;
      const torch = Float32Array.from({ length: c * 9 }, (_, i) => i);
      const packed = packDepthwiseWeights(torch, c);
      for (let ch = 0; ch < c; ch++) {
        for (let t = 0; t < 9; t++) assert(packed[t * c + ch] === ch * 9 + t, `packed[${t},${ch}]`);
      }
    },
  },
  {
    name: 'dense over odd shapes, C = 3, 5, 19, 64, 100, 130, 256, 300 (scalar and vec4 paths, 16/32/64 lanes)',
    run: (rt) =>
      withScope(rt, 'dw dense', async (scope) => {
        // Channel counts cover every lane width (16, 32, 64 lanes) and lanes that loop (C / 4 > 64).
        const shapes: Shape4[] = [[2, 7, 9, 3], [1, 13, 11, 5], [1, 37, 53, 19], [1, 9, 13, 64], [1, 5, 7, 256], [1, 1, 1, 4], [1, 1, 6, 8], [1, 6, 5, 100], [1, 4, 7, 300], [1, 3, 5, 130]];
        for (const [i, shape] of shapes.entries()) {
          const p = problem(shape, 100 + i);
          const out = emptyTensor(scope, shape);
          await rt.run([
            depthwiseConv3x3Program(
              scope,
              uploadTensor(scope, p.input, shape),
              uploadTensor(scope, p.weights, [9, shape[3]]),
              uploadTensor(scope, p.bias, [shape[3]]),
              out,
            ),
          ]);
          assertClose(await readTensor(rt, out), p.expected, `depthwise ${shape.join('×')}`);
        }
      }),
  },
  {
    name: 'indexed rows scatter into the NHWC output, other pixels untouched (C = 5, 64; N = 2; count > maxRows clamps)',
    run: (rt) =>
      withScope(rt, 'dw rows', async (scope) => {
        for (const [shape, count] of [[[2, 9, 11, 5], 37], [[2, 7, 13, 64], 37], [[1, 6, 7, 8], 70]] as [Shape4, number][]) {
          const [n, h, w, c] = shape;
          const pixels = n * h * w;
          const p = problem(shape, 200 + c);
          const rows = pickPixels(pixels, Math.min(61, pixels), c);
          const out = uploadTensor(scope, new Float32Array(pixels * c).fill(SENTINEL), shape);
          await rt.run([
            depthwiseConv3x3Program(
              scope,
              uploadTensor(scope, p.input, shape),
              uploadTensor(scope, p.weights, [9, c]),
              uploadTensor(scope, p.bias, [c]),
              out,
              { rows: uploadU32(scope, rows), count: uploadU32(scope, [count]), placement: 'scatter' },
            ),
          ]);
          const expected = new Float32Array(pixels * c).fill(SENTINEL);
          for (const px of rows.subarray(0, count)) {
            expected.set(p.expected.subarray(px * c, (px + 1) * c), px * c);
          }
          assertClose(await readTensor(rt, out), expected, `rows scatter ${shape.join('×')} count=${count}`);
        }
      }),
  },
  {
    name: 'indexed rows, compact [count, C] output, indirect dispatch; count = 0 writes nothing',
    run: (rt) =>
      withScope(rt, 'dw compact', async (scope) => {
        const shape: Shape4 = [1, 17, 19, 12];
        const [, h, w, c] = shape;
        const p = problem(shape, 300);
        const capacity = 50;
        const rows = pickPixels(h * w, capacity, 3);
        const rowList = uploadU32(scope, rows);
        const input = uploadTensor(scope, p.input, shape);
        const weights = uploadTensor(scope, p.weights, [9, c]);
        const bias = uploadTensor(scope, p.bias, [c]);
        for (const count of [43, 0]) {
          const indirect = scope.indirect();
          rt.write(indirect, new Uint32Array([Math.ceil(count / depthwiseRowsPerWorkgroup(c)), 1, 1]));
          const out = uploadTensor(scope, new Float32Array(capacity * c).fill(SENTINEL), [capacity, c]);
          await rt.run([
            depthwiseConv3x3Program(scope, input, weights, bias, out, {
              rows: rowList,
              count: uploadU32(scope, [count]),
              placement: 'compact',
              indirect: { buffer: indirect, offset: 0 },
            }),
          ]);
          const expected = new Float32Array(capacity * c).fill(SENTINEL);
          rows.subarray(0, count).forEach((px, r) => expected.set(p.expected.subarray(px * c, (px + 1) * c), r * c));
          assertClose(await readTensor(rt, out), expected, `compact rows count=${count}`);
        }
      }),
  },
  {
    name: 'bad shapes and buffers are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'dw invalid', async (scope) => {
        const x = emptyTensor(scope, [1, 5, 5, 8]);
        const wts = emptyTensor(scope, [9, 8]);
        const b = emptyTensor(scope, [8]);
        const out = emptyTensor(scope, [1, 5, 5, 8]);
        await assertRejects(() => depthwiseConv3x3Program(scope, x, emptyTensor(scope, [9, 7]), b, out), InvalidArgumentError, 'weights');
        await assertRejects(() => depthwiseConv3x3Program(scope, x, wts, emptyTensor(scope, [9]), out), InvalidArgumentError, 'bias');
        await assertRejects(() => depthwiseConv3x3Program(scope, x, wts, b, emptyTensor(scope, [1, 5, 4, 8])), InvalidArgumentError, 'out');
        await assertRejects(() => depthwiseConv3x3Program(scope, x, wts, b, x), InvalidArgumentError, 'out');
        await assertRejects(() => depthwiseConv3x3Program(scope, { buffer: x.buffer, shape: [1, 0, 5, 8] }, wts, b, out), InvalidArgumentError, 'input');
        await assertRejects(() => depthwiseConv3x3Program(scope, emptyTensor(scope, [5, 5, 8]), wts, b, out), InvalidArgumentError, 'input');
        const count = uploadU32(scope, [1]);
        const rowList = uploadU32(scope, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        await assertRejects(
          () => depthwiseConv3x3Program(scope, x, wts, b, out, { rows: { buffer: rowList.buffer, shape: [0] }, count, placement: 'scatter' }),
          InvalidArgumentError,
          'rows',
        );
        await assertRejects(
          () => depthwiseConv3x3Program(scope, x, wts, b, out, { rows: rowList, count: { buffer: count.buffer, shape: [2] }, placement: 'scatter' }),
          InvalidArgumentError,
          'count',
        );
        await assertRejects(
          () => depthwiseConv3x3Program(scope, x, wts, b, out, { rows: rowList, count, placement: 'compact' }),
          InvalidArgumentError,
          'out',
        );
        await assertRejects(
          () =>
            depthwiseConv3x3Program(scope, x, wts, b, out, {
              rows: rowList,
              count,
              placement: 'scatter',
              indirect: { buffer: scope.indirect(), offset: 8 },
            }),
          InvalidArgumentError,
          'rows',
        );
        await assertRejects(() => packDepthwiseWeights(new Float32Array(10), 2), InvalidArgumentError, 'weight');
      }),
  },
]);
