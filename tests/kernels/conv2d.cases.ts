import { InvalidArgumentError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { conv2dDispatchSize, conv2dProgram, conv2dTileRows, packConvWeights, type Conv2dTileRows, type ConvRows } from '../../src/ops/conv2d';
import type { Tensor } from '../../src/ops/tensor';
import { conv2dIndexedRef, conv2dRef, type ConvRefShape } from '../../src/reference/conv2d';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray, rng } from '../harness/random';
import { defineKernelSuite, type KernelCase } from '../harness/suite';

interface DenseCase {
  input: [number, number, number, number]; // NHWC
  cout: number;
  k: number;
  stride: number;
  pad: number | [number, number];
  bias?: boolean;
  residual?: boolean;
  relu?: boolean;
  /** Workgroup tile height other than the default. */
  tileRows?: Conv2dTileRows;
}

function describe(c: DenseCase): string {
  const extras = [c.bias && 'bias', c.residual && 'residual', c.relu && 'ReLU'].filter(Boolean).join(' + ');
  const tile = c.tileRows ? `, ${c.tileRows}-row tiles` : '';
  return `${c.k}×${c.k}/${c.stride} pad ${String(c.pad)}: ${c.input.join('×')} → Cout ${c.cout}${extras ? ` (${extras})` : ''}${tile}`;
}

function outDims(c: DenseCase): [number, number, number, number] {
  const [py, px] = typeof c.pad === 'number' ? [c.pad, c.pad] : c.pad;
  const oh = Math.floor((c.input[1] + 2 * py - c.k) / c.stride) + 1;
  const ow = Math.floor((c.input[2] + 2 * px - c.k) / c.stride) + 1;
  return [c.input[0], oh, ow, c.cout];
}

function denseCase(c: DenseCase, seed: number): KernelCase {
  return {
    name: `dense ${describe(c)}`,
    run: (rt) =>
      withScope(rt, 'conv2d', async (scope) => {
        const [n, h, w, cin] = c.input;
        const wShape = [c.cout, cin, c.k, c.k] as const;
        const oshape = outDims(c);
        const x = randomArray(n * h * w * cin, seed);
        const wt = randomArray(c.cout * cin * c.k * c.k, seed + 1, 1 / Math.sqrt(cin * c.k * c.k));
        const bias = c.bias ? randomArray(c.cout, seed + 2) : undefined;
        const residual = c.residual ? randomArray(oshape.reduce((a, b) => a * b), seed + 3) : undefined;
        const out = emptyTensor(scope, oshape);
        await rt.run([
          conv2dProgram(scope, {
            input: uploadTensor(scope, x, c.input),
            weights: uploadTensor(scope, packConvWeights(wt, wShape), [c.k, c.k, cin, c.cout]),
            bias: bias && uploadTensor(scope, bias, [c.cout]),
            residual: residual && uploadTensor(scope, residual, oshape),
            relu: c.relu,
            stride: c.stride,
            padding: c.pad,
            out,
            tileRows: c.tileRows,
          }),
        ]);
        const [padY, padX] = typeof c.pad === 'number' ? [c.pad, c.pad] : c.pad;
        const expected = conv2dRef(x, wt, { input: c.input, weights: wShape }, {
          stride: c.stride, padY, padX, bias, residual, relu: c.relu,
        });
        assertClose(await readTensor(rt, out), expected, describe(c));
      }),
  };
}

/** `count` distinct pixel indices below `pixels`, in shuffled order (active lists need not be sorted). */
function pickRows(pixels: number, length: number, seed: number): Uint32Array {
  const next = rng(seed);
  const all = Array.from({ length: pixels }, (_, i) => i);
  for (let i = pixels - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return Uint32Array.from(all.slice(0, length));
}

interface IndexedCase {
  placement: 'scatter' | 'compact';
  /** Length of the rows buffer (maxRows) and the active count read on the GPU. */
  maxRows: number;
  count: number;
  indirect: boolean;
  cin: number;
  cout: number;
  tileRows?: Conv2dTileRows;
}

function indexedCase(c: IndexedCase, seed: number): KernelCase {
  const input = [2, 13, 11, c.cin] as [number, number, number, number];
  const name = `indexed ${c.placement} 3×3/1 ${input.join('×')} → ${c.cout}: ${c.count} of ${c.maxRows} rows` +
    ` active, ${c.indirect ? 'indirect dispatch from a GPU buffer' : 'dispatch sized for maxRows'}, bias + residual + ReLU` +
    (c.tileRows ? `, ${c.tileRows}-row tiles` : '');
  return {
    name,
    run: (rt) =>
      withScope(rt, 'conv2d indexed', async (scope) => {
        const pixels = 2 * 13 * 11;
        const wShape = [c.cout, c.cin, 3, 3] as const;
        const refShape: ConvRefShape = { input, weights: wShape };
        const x = randomArray(pixels * c.cin, seed);
        const wt = randomArray(c.cout * c.cin * 9, seed + 1, 1 / Math.sqrt(c.cin * 9));
        const bias = randomArray(c.cout, seed + 2);
        const rows = pickRows(pixels, c.maxRows, seed + 3);
        const outShape = c.placement === 'scatter' ? [2, 13, 11, c.cout] : [c.maxRows, c.cout];
        const outLength = outShape.reduce((a, b) => a * b);
        // Non-zero initial contents show that inactive pixels / rows are left untouched.
        const initial = randomArray(outLength, seed + 4, 7);
        const residual = randomArray(outLength, seed + 5);
        const out = uploadTensor(scope, initial, outShape);
        const countTensor: Tensor = { buffer: scope.upload(new Uint32Array([c.count])), shape: [1] };
        let indirect: { buffer: GPUBuffer; offset: number } | undefined;
        if (c.indirect) {
          // Second triple of the buffer, so the offset is exercised too.
          const buffer = scope.indirect(2);
          const tile = c.tileRows ?? conv2dTileRows({ mode: 'indexed', rows: countTensor, count: countTensor, placement: c.placement });
          rt.write(buffer, new Uint32Array([9, 9, 9, ...conv2dDispatchSize(c.count, c.cout, tile)]));
          indirect = { buffer, offset: 12 };
        }
        const mapping: ConvRows = {
          mode: 'indexed',
          rows: { buffer: scope.upload(rows), shape: [c.maxRows] },
          count: countTensor,
          placement: c.placement,
          indirect,
        };
        await rt.run([
          conv2dProgram(scope, {
            input: uploadTensor(scope, x, input),
            weights: uploadTensor(scope, packConvWeights(wt, wShape), [3, 3, c.cin, c.cout]),
            bias: uploadTensor(scope, bias, [c.cout]),
            residual: uploadTensor(scope, residual, outShape),
            relu: true,
            padding: 1,
            rows: mapping,
            out,
            tileRows: c.tileRows,
          }),
        ]);
        const expected = conv2dIndexedRef(x, wt, refShape, rows, c.count, c.placement, initial, {
          padY: 1, padX: 1, bias, residual, relu: true,
        });
        const actual = await readTensor(rt, out);
        assertClose(actual, expected, name);
        if (c.count === 0) assert(actual.every((v, i) => v === initial[i]), 'count = 0 must leave out untouched');
      }),
  };
}

async function rejectsInvalid(rt: GpuRuntime): Promise<void> {
  await withScope(rt, 'conv2d invalid', async (scope) => {
    const input = emptyTensor(scope, [1, 8, 8, 4]);
    const weights = emptyTensor(scope, [3, 3, 4, 6]);
    const out = emptyTensor(scope, [1, 8, 8, 6]);
    const base = { input, weights, out, padding: 1 };
    await assertRejects(() => conv2dProgram(scope, { ...base, weights: emptyTensor(scope, [3, 3, 5, 6]) }), InvalidArgumentError, 'weights');
    await assertRejects(() => conv2dProgram(scope, { ...base, out: emptyTensor(scope, [1, 8, 8, 5]) }), InvalidArgumentError, 'out');
    await assertRejects(() => conv2dProgram(scope, { ...base, stride: 0 }), InvalidArgumentError, 'stride');
    await assertRejects(() => conv2dProgram(scope, { ...base, stride: 1.5 }), InvalidArgumentError, 'stride');
    await assertRejects(() => conv2dProgram(scope, { ...base, padding: -1 }), InvalidArgumentError, 'padding');
    await assertRejects(() => conv2dProgram(scope, { ...base, padding: [1, 0.5] }), InvalidArgumentError, 'padding');
    await assertRejects(
      () => conv2dProgram(scope, { ...base, weights: emptyTensor(scope, [11, 11, 4, 6]), padding: 0 }),
      InvalidArgumentError,
      'weights',
    );
    await assertRejects(() => conv2dProgram(scope, { ...base, input: { buffer: input.buffer, shape: [1, 0, 8, 4] } }), InvalidArgumentError, 'input');
    await assertRejects(() => conv2dProgram(scope, { ...base, weights: { buffer: weights.buffer, shape: [0, 3, 4, 6] } }), InvalidArgumentError, 'weights');
    await assertRejects(() => conv2dProgram(scope, { ...base, input: emptyTensor(scope, [8, 8, 4]) }), InvalidArgumentError, 'input');
    await assertRejects(() => conv2dProgram(scope, { ...base, bias: emptyTensor(scope, [5]) }), InvalidArgumentError, 'bias');
    await assertRejects(() => conv2dProgram(scope, { ...base, residual: out }), InvalidArgumentError, 'residual');
    await assertRejects(() => conv2dProgram(scope, { ...base, residual: emptyTensor(scope, [1, 8, 7, 6]) }), InvalidArgumentError, 'residual');
    await assertRejects(() => conv2dProgram(scope, { ...base, out: { buffer: input.buffer, shape: [1, 8, 8, 6] } }), InvalidArgumentError, 'out');
    const rows = { buffer: scope.storage(40), shape: [10] };
    const count = { buffer: scope.storage(4), shape: [1] };
    const indexed = (over: Partial<Extract<ConvRows, { mode: 'indexed' }>>): ConvRows => ({
      mode: 'indexed', rows, count, placement: 'compact', ...over,
    });
    await assertRejects(() => conv2dProgram(scope, { ...base, rows: indexed({}) }), InvalidArgumentError, 'out');
    const compactOut = emptyTensor(scope, [10, 6]);
    await assertRejects(() => conv2dProgram(scope, { ...base, out: compactOut, rows: indexed({ count: { buffer: count.buffer, shape: [2] } }) }), InvalidArgumentError, 'count');
    await assertRejects(() => conv2dProgram(scope, { ...base, out: compactOut, rows: indexed({ rows: { buffer: rows.buffer, shape: [0] } }) }), InvalidArgumentError, 'rows');
    await assertRejects(
      () => conv2dProgram(scope, { ...base, out: compactOut, rows: indexed({ indirect: { buffer: scope.indirect(), offset: 2 } }) }),
      InvalidArgumentError,
      'rows',
    );
    await assertRejects(
      () => conv2dProgram(scope, { ...base, out: compactOut, rows: indexed({ count: { buffer: compactOut.buffer, shape: [1] } }) }),
      InvalidArgumentError,
      'rows',
    );
    await assertRejects(() => packConvWeights(new Float32Array(10), [2, 1, 3, 3]), InvalidArgumentError, 'oihw');
  });
}

export default defineKernelSuite('conv2d', [
  {
    name: 'packConvWeights maps OIHW to HWIO',
    run: async () => {
      const oihw = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i);
      const hwio = packConvWeights(oihw, [2, 3, 2, 2]);
      // hwio[ky][kx][ci][co] == oihw[co][ci][ky][kx]
      for (let co = 0; co < 2; co++)
        for (let ci = 0; ci < 3; ci++)
          for (let ky = 0; ky < 2; ky++)
            for (let kx = 0; kx < 2; kx++) {
              const got = hwio[((ky * 2 + kx) * 3 + ci) * 2 + co];
              const want = oihw[((co * 3 + ci) * 2 + ky) * 2 + kx];
              assert(got === want, `hwio[${ky},${kx},${ci},${co}] = ${got}, expected ${want}`);
            }
    },
  },
  denseCase({ input: [1, 37, 53, 19], cout: 21, k: 3, stride: 1, pad: 1, bias: true }, 100),
  denseCase({ input: [1, 17, 23, 64], cout: 64, k: 3, stride: 2, pad: 1, bias: true, residual: true, relu: true }, 200),
  denseCase({ input: [1, 45, 39, 3], cout: 64, k: 7, stride: 2, pad: 3, relu: true }, 300),
  denseCase({ input: [2, 9, 11, 256], cout: 5, k: 1, stride: 1, pad: 0, bias: true }, 400),
  denseCase({ input: [1, 19, 7, 5], cout: 256, k: 1, stride: 1, pad: 0, residual: true, relu: true }, 450),
  denseCase({ input: [2, 15, 13, 64], cout: 36, k: 1, stride: 2, pad: 0, bias: true, relu: true }, 500),
  denseCase({ input: [2, 10, 7, 5], cout: 3, k: 3, stride: 1, pad: [2, 0] }, 600),
  denseCase({ input: [1, 9, 11, 256], cout: 256, k: 3, stride: 1, pad: 1, bias: true }, 700),
  denseCase({ input: [1, 1, 1, 1], cout: 1, k: 1, stride: 1, pad: 0 }, 800),
  denseCase({ input: [1, 37, 53, 19], cout: 70, k: 3, stride: 1, pad: 1, bias: true, relu: true, tileRows: 32 }, 850),
  denseCase({ input: [1, 11, 9, 64], cout: 64, k: 3, stride: 1, pad: 1, residual: true, tileRows: 32 }, 870),
  indexedCase({ placement: 'scatter', maxRows: 150, count: 137, indirect: false, cin: 16, cout: 24 }, 900),
  indexedCase({ placement: 'compact', maxRows: 200, count: 130, indirect: false, cin: 5, cout: 7 }, 1000),
  indexedCase({ placement: 'scatter', maxRows: 286, count: 201, indirect: true, cin: 8, cout: 13 }, 1100),
  indexedCase({ placement: 'compact', maxRows: 97, count: 70, indirect: true, cin: 64, cout: 64 }, 1200),
  indexedCase({ placement: 'compact', maxRows: 20, count: 0, indirect: false, cin: 4, cout: 4 }, 1300),
  indexedCase({ placement: 'scatter', maxRows: 286, count: 171, indirect: true, cin: 12, cout: 20, tileRows: 64 }, 1400),
  indexedCase({ placement: 'compact', maxRows: 286, count: 33, indirect: true, cin: 3, cout: 64, tileRows: 64 }, 1500),
  { name: 'invalid arguments are rejected before dispatch, naming the parameter', run: rejectsInvalid },
]);
