import { InvalidArgumentError } from '../../src/errors';
import type { KernelProgram } from '../../src/gpu/kernel';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { conv2dProgram, packConvWeights, type Conv2dTileCols, type Conv2dTileRows } from '../../src/ops/conv2d';
import { conv2dRef } from '../../src/reference/conv2d';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { randomArray } from '../harness/random';
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
  /** Workgroup tile width other than the default. */
  tileCols?: Conv2dTileCols;
  /** Run the register blocks a GPU gets (SOFTWARE_ADAPTER = 0) on whatever adapter runs the test. */
  gpuBlocks?: boolean;
}

function describe(c: DenseCase): string {
  const extras = [c.bias && 'bias', c.residual && 'residual', c.relu && 'ReLU'].filter(Boolean).join(' + ');
  const tile = [c.tileRows && `, ${c.tileRows}-row tiles`, c.tileCols && `, ${c.tileCols}-column tiles`, c.gpuBlocks && ', GPU register blocks'].filter(Boolean).join('');
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
        const adapt = (p: KernelProgram): KernelProgram => (c.gpuBlocks ? { ...p, constants: { ...p.constants, SOFTWARE_ADAPTER: 0 } } : p);
        await rt.run([
          adapt(conv2dProgram(scope, {
            input: uploadTensor(scope, x, c.input),
            weights: uploadTensor(scope, packConvWeights(wt, wShape), [c.k, c.k, cin, c.cout]),
            bias: bias && uploadTensor(scope, bias, [c.cout]),
            residual: residual && uploadTensor(scope, residual, oshape),
            relu: c.relu,
            stride: c.stride,
            padding: c.pad,
            out,
            tileRows: c.tileRows,
            tileCols: c.tileCols,
          })),
        ]);
        const [padY, padX] = typeof c.pad === 'number' ? [c.pad, c.pad] : c.pad;
        const expected = conv2dRef(x, wt, { input: c.input, weights: wShape }, {
          stride: c.stride, padY, padX, bias, residual, relu: c.relu,
        });
        assertClose(await readTensor(rt, out), expected, describe(c));
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
    await assertRejects(() => packConvWeights(new Float32Array(10), [2, 1, 3, 3]), InvalidArgumentError, 'oihw');
    await assertRejects(() => conv2dProgram(scope, { ...base, tileCols: 8 as Conv2dTileCols }), InvalidArgumentError, 'tileCols');
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
  // Narrow column tiles: scalar A (Cin 19, 4 k per thread and row) and scalar B (Cout 21, 6, 1),
  // vec4 A and B (Cin 64, Cout 20, 4 rows per thread at 16 columns), 32-row tiles.
  denseCase({ input: [1, 37, 53, 19], cout: 21, k: 3, stride: 1, pad: 1, bias: true, tileCols: 16 }, 900),
  denseCase({ input: [1, 23, 19, 19], cout: 6, k: 3, stride: 2, pad: 1, relu: true, tileCols: 32 }, 910),
  denseCase({ input: [1, 17, 23, 64], cout: 20, k: 3, stride: 1, pad: 1, bias: true, residual: true, relu: true, tileCols: 16 }, 920),
  denseCase({ input: [2, 9, 11, 64], cout: 1, k: 3, stride: 1, pad: 1, bias: true, tileCols: 16, tileRows: 32 }, 930),
  denseCase({ input: [1, 13, 15, 64], cout: 83, k: 3, stride: 1, pad: 1, bias: true, tileCols: 32, tileRows: 32 }, 940),
  denseCase({ input: [2, 9, 11, 12], cout: 44, k: 1, stride: 1, pad: 0, bias: true, tileCols: 16 }, 950),
  // The GPU register blocks (4×8 where a CPU adapter takes 8×8).
  denseCase({ input: [1, 17, 23, 64], cout: 64, k: 3, stride: 2, pad: 1, bias: true, residual: true, relu: true, gpuBlocks: true }, 960),
  denseCase({ input: [1, 13, 15, 64], cout: 70, k: 3, stride: 1, pad: 1, bias: true, tileRows: 32, gpuBlocks: true }, 970),
  { name: 'invalid arguments are rejected before dispatch, naming the parameter', run: rejectsInvalid },
]);
