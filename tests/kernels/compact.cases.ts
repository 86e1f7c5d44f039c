import { InvalidArgumentError } from '../../src/errors';
import type { IndirectDispatch } from '../../src/gpu/kernel';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { COMPACT_BLOCK, COMPACT_SINGLE_BLOCKS, compactLevels, compactPrograms, INACTIVE_INDEX } from '../../src/ops/compact';
import { dispatchArgsProgram, sparseLimitFor } from '../../src/ops/dispatch-args';
import { gateMaskProgram } from '../../src/ops/mask';
import type { Tensor } from '../../src/ops/tensor';
import { assert, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { clusteredGate, dilatedMaskRef, randomGate } from '../harness/masks';
import { defineKernelSuite } from '../harness/suite';

function expectEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert(actual.length >= expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert(actual[i] === expected[i], `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
  }
}

/**
 * Compacts `mask` on the GPU and checks rows, count and map against the definition, with the
 * path compactPrograms picks for its size and (when that is the one-dispatch path) the block scan.
 */
async function checkCompaction(rt: GpuRuntime, mask: Float32Array, what: string): Promise<void> {
  await checkCompactionWith(rt, mask, what, false);
  if (mask.length <= COMPACT_SINGLE_BLOCKS * COMPACT_BLOCK) await checkCompactionWith(rt, mask, `${what} (block scan)`, true);
}

async function checkCompactionWith(rt: GpuRuntime, mask: Float32Array, what: string, multiBlock: boolean, singleThreads?: number): Promise<void> {
  await withScope(rt, what, async (scope) => {
    const tensor = uploadTensor(scope, mask, [mask.length]);
    const { programs, active } = compactPrograms(scope, tensor, { multiBlock, singleThreads });
    const single = !multiBlock && mask.length <= COMPACT_SINGLE_BLOCKS * COMPACT_BLOCK;
    assert(programs.length === (single ? 1 : 3) || mask.length > 1 << 20, `${what}: ${programs.length} programs`);
    await rt.run([programs]);
    const expected: number[] = [];
    mask.forEach((v, i) => v > 0 && expected.push(i));
    const [count] = await rt.readU32(active.count.buffer, 1);
    assert(count === expected.length, `${what}: count ${count}, expected ${expected.length}`);
    if (expected.length > 0) expectEqual(await rt.readU32(active.rows.buffer, expected.length), expected, `${what} rows`);
    const map = await rt.readU32(active.indexMap!.buffer, mask.length);
    const expectedMap = new Uint32Array(mask.length).fill(INACTIVE_INDEX);
    expected.forEach((p, r) => (expectedMap[p] = r));
    expectEqual(map, expectedMap, `${what} index map`);
  });
}

/** Expected indirect arguments covering `rows` rows at `perGroup` rows per workgroup (folded over y). */
function rows1D(rows: number, perGroup: number): number[] {
  const u = Math.ceil(rows / perGroup);
  if (u === 0) return [0, 0, 0];
  const y = Math.ceil(u / 65535);
  return [Math.ceil(u / y), y, 1];
}

export default defineKernelSuite('compact', [
  {
    name: 'gate masks: quantised and 3×3-dilated (max-pool semantics at borders, N = 2, 13×21)',
    run: (rt) =>
      withScope(rt, 'masks', async (scope) => {
        const [h, w] = [13, 21];
        const gate = new Float32Array(2 * h * w);
        gate.set(randomGate(h, w, 0.1, 1), 0);
        gate.set(clusteredGate(h, w, 0.2, 2), h * w);
        gate[0] = 0.5; // corner: dilation must not wrap to the previous row or image
        gate[2 * h * w - 1] = 0.25;
        const g = uploadTensor(scope, gate, [2, h, w, 1]);
        const mask = emptyTensor(scope, [2, h, w, 1]);
        const dilated = emptyTensor(scope, [2, h, w, 1]);
        const alone = emptyTensor(scope, [2, h, w, 1]);
        await rt.run([
          gateMaskProgram(scope, { gate: g, mask, dilated }),
          gateMaskProgram(scope, { gate: g, dilated: alone }),
        ]);
        expectEqual(await readTensor(rt, mask), gate.map((v) => (v > 0 ? 1 : 0)), 'mask');
        const ref = dilatedMaskRef(gate, h, w);
        expectEqual(await readTensor(rt, dilated), ref, 'dilated');
        expectEqual(await readTensor(rt, alone), ref, 'dilated alone');
        await assertRejects(() => gateMaskProgram(scope, { gate: g }), InvalidArgumentError, 'mask');
      }),
  },
  {
    name: 'compaction: empty, full, single pixel, random, clustered, odd sizes',
    run: async (rt) => {
      await checkCompaction(rt, new Float32Array(273), 'empty');
      await checkCompaction(rt, new Float32Array(1025).fill(1), 'full 1025');
      const one = new Float32Array(1);
      one[0] = 1;
      await checkCompaction(rt, one, 'single pixel');
      const last = new Float32Array(2049);
      last[2048] = 0.5;
      await checkCompaction(rt, last, 'last of 2049');
      await checkCompaction(rt, randomGate(13, 21, 0.3, 7), 'random 13×21');
      await checkCompaction(rt, clusteredGate(100, 168, 0.3, 8), 'clustered 100×168 (P3)');
      // The one-dispatch limit (32 blocks) and one pixel past it (block scan).
      await checkCompaction(rt, randomGate(128, 256, 0.5, 9), 'random 128×256 (the one-dispatch limit)');
      const past = randomGate(1, COMPACT_SINGLE_BLOCKS * COMPACT_BLOCK + 1, 0.2, 10);
      past[past.length - 1] = 1;
      await checkCompaction(rt, past, 'one past the one-dispatch limit');
      // The one-dispatch path's chunking with other thread counts: one thread, a count that does
      // not divide the mask, more threads than pixels.
      for (const threads of [1, 7, 256]) {
        await checkCompactionWith(rt, randomGate(13, 21, 0.3, 11), `random 13×21, ${threads} threads`, false, threads);
        await checkCompactionWith(rt, clusteredGate(37, 53, 0.4, 12), `clustered 37×53, ${threads} threads`, false, threads);
      }
      await withScope(rt, 'bad thread count', async (scope) => {
        const tensor = uploadTensor(scope, new Float32Array(8), [8]);
        for (const threads of [0, 257, 2.5]) {
          await assertRejects(async () => compactPrograms(scope, tensor, { singleThreads: threads }), InvalidArgumentError, 'singleThreads');
        }
      });
    },
  },
  {
    name: "compaction writes its consumer's dispatch arguments: sparse rows, or the dense fallback's above the limit; empty",
    run: (rt) =>
      withScope(rt, 'compaction dispatch', async (scope) => {
        const pixels = 37 * 53;
        const limit = 600;
        const masks: [string, Float32Array][] = [
          ['empty', new Float32Array(pixels)],
          ['random 20 %', randomGate(37, 53, 0.2, 13)],
          ['clustered 60 %', clusteredGate(37, 53, 0.6, 14)],
          ['full', new Float32Array(pixels).fill(1)],
        ];
        for (const [name, data] of masks) {
          const active = data.filter((v) => v > 0).length;
          for (const multiBlock of [false, true]) {
            const mask = uploadTensor(scope, data, [pixels]);
            const c = compactPrograms(scope, mask, { indexMap: false, multiBlock, dispatch: { rowsPerWorkgroup: 16, sparseLimit: limit } });
            await rt.run([c.programs]);
            const what = `${name}${multiBlock ? ' (block scan)' : ''}`;
            const sparse = active <= limit;
            const readArgs = (d: IndirectDispatch) => rt.readU32(d.indirect, 3, d.offset / 4);
            expectEqual(await readArgs(c.dispatch!.sparse), sparse ? rows1D(active, 16) : [0, 0, 0], `${what}: sparse dispatch`);
            expectEqual(await readArgs(c.dispatch!.dense!), sparse ? [0, 0, 0] : rows1D(pixels, 16), `${what}: dense dispatch`);
            const plain = compactPrograms(scope, mask, { indexMap: false, multiBlock, dispatch: { rowsPerWorkgroup: 7 } });
            await rt.run([plain.programs]);
            assert(plain.dispatch!.dense === undefined, 'no dense dispatch without a sparse limit');
            expectEqual(await readArgs(plain.dispatch!.sparse), rows1D(active, 7), `${what}: sparse-only dispatch`);
          }
        }
        const mask = uploadTensor(scope, new Float32Array(8), [8]);
        await assertRejects(async () => compactPrograms(scope, mask, { dispatch: { rowsPerWorkgroup: 0 } }), InvalidArgumentError, 'rowsPerWorkgroup');
      }),
  },
  {
    name: 'compaction: multi-level scan beyond 2^20 pixels (1 100 000, two sum levels)',
    run: async (rt) => {
      const pixels = 1_100_000;
      assert(compactLevels(pixels).length === 2, `expected two levels, got ${compactLevels(pixels).join(',')}`);
      await checkCompaction(rt, randomGate(1, pixels, 0.4, 9), 'random 1.1M');
    },
  },
  {
    name: 'dispatch args: row kinds, folding above 65535, count 0, sparse/dense choice',
    run: (rt) =>
      withScope(rt, 'args', async (scope) => {
        const cases: [number, number][] = [
          [0, 100],
          [1, 100],
          [100, 100],
          [101, 100],
          [65535 * 4 + 5, 1_000_000],
        ];
        for (const [n, pixels] of cases) {
          const count: Tensor = { buffer: scope.upload(Uint32Array.of(n)), shape: [1] };
          const limit = sparseLimitFor(0.5, pixels);
          const a = dispatchArgsProgram(
            scope,
            count,
            [
              { kind: 'rows-y', x: 4, rowsPerWorkgroup: 64 },
              { kind: 'rows-1d', rowsPerWorkgroup: 4 },
              { kind: 'fixed', size: [3, 5, 7], when: 'dense' },
              { kind: 'rows-1d', rowsPerWorkgroup: 4, when: 'sparse' },
            ],
            limit,
          );
          await rt.run([a.program]);
          const args = await rt.readU32(a.buffer, 12);
          const sel = await rt.readU32(a.selection.buffer, 4);
          const sparse = n <= limit;
          const u = Math.ceil(n / 4);
          const y = Math.ceil(u / 65535);
          const oneD = u === 0 ? [0, 0, 0] : u <= 65535 ? [u, 1, 1] : [Math.ceil(u / y), y, 1];
          const rowsY = n === 0 ? [0, 0, 0] : [4, Math.ceil(n / 64), 1];
          const expected = [...rowsY, ...oneD, ...(sparse ? [0, 0, 0] : [3, 5, 7]), ...(sparse ? oneD : [0, 0, 0])];
          expectEqual(args, expected, `args for count ${n}`);
          expectEqual(sel, [n, sparse ? 1 : 0, limit, 0], `selection for count ${n}`);
          if (u > 65535) assert(args[3]! * args[4]! >= u && args[3]! <= 65535, 'folded dispatch covers every row');
        }
        const count: Tensor = { buffer: scope.upload(Uint32Array.of(1)), shape: [1] };
        await assertRejects(() => dispatchArgsProgram(scope, count, []), InvalidArgumentError, 'specs');
        await assertRejects(
          () => dispatchArgsProgram(scope, count, [{ kind: 'rows-1d', rowsPerWorkgroup: 0 }]),
          InvalidArgumentError,
          'rowsPerWorkgroup',
        );
      }),
  },
]);
