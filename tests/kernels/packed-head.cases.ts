import { InvalidArgumentError } from '../../src/errors';
import type { BufferScope } from '../../src/gpu/buffers';
import type { KernelProgram } from '../../src/gpu/kernel';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { overrideNames } from '../../src/gpu/shader-registry';
import { ActiveListsLayout, INACTIVE_INDEX, type ActiveList } from '../../src/ops/active-lists';
import { conv2dTileCols } from '../../src/ops/conv2d';
import { headCompactProgram, sparseLimitFor } from '../../src/ops/head-compact';
import { headDepthwiseProgram, ScalePathRows } from '../../src/ops/head-depthwise';
import { headEpilogueProgram } from '../../src/ops/head-epilogue';
import { headGateProgram, levelMask, type GateActivation } from '../../src/ops/head-gate';
import { PackedLevels } from '../../src/ops/packed-levels';
import { packedConvProgram } from '../../src/ops/packed-conv';
import { quadsPerThread, scaleFuseProgram, scaleSegments } from '../../src/ops/scale-fuse';
import { segmentStatsPartials, segmentStatsPrograms, segmentTableData } from '../../src/ops/segment-stats';
import type { Tensor } from '../../src/ops/tensor';
import {
  forEachRow,
  headCompactRef,
  headDepthwiseRef,
  headEpilogueRef,
  headGateRef,
  normalisedReluAt,
  packedConvRef,
  scaleFuseRef,
  segmentStatsRef,
} from '../../src/reference/packed-head';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, uploadTensor, withScope } from '../harness/gpu-data';
import { clusteredGate, randomGate } from '../harness/masks';
import { randomArray, rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

// Level sizes that are multiples of nothing (13×21 … 1×2): every tile and every chunk is partial.
const SIZES: [number, number][] = [[13, 21], [7, 11], [4, 6], [2, 3], [1, 2]];
const C = 12;
const GROUPS = 4;
/** Runs the kernels' GPU work split (register blocks, quad lanes) on SwiftShader. */
const GPU_LANES = { SOFTWARE_ADAPTER: 0 };

/** `program` with those of `constants` its shader declares (as the runtime passes adapter constants). */
function withConstants(constants: Record<string, number>): (program: KernelProgram) => KernelProgram {
  return (program) => {
    const declared = overrideNames(program.shader);
    const own = Object.fromEntries(Object.entries(constants).filter(([name]) => declared.has(name)));
    return { ...program, constants: { ...program.constants, ...own } };
  };
}

function run(rt: GpuRuntime, programs: KernelProgram[]): Promise<unknown> {
  return rt.run([programs]);
}

function listsTensor(scope: BufferScope, layout: ActiveListsLayout): Tensor {
  return { buffer: scope.storage(layout.words * 4, 'lists', GPUBufferUsage.INDIRECT), shape: [layout.words] };
}

function u32Tensor(scope: BufferScope, data: Uint32Array): Tensor {
  return { buffer: scope.upload(data), shape: [data.length] };
}

/** A gate map per tower and level: one gate-map generator applied to every level of the tower pair. */
function packedGate(levels: PackedLevels, density: number, seed: number, clustered = false): Float32Array {
  const gate = new Float32Array(levels.totalRows);
  let s = seed;
  for (let t = 0; t < levels.towers; t++) {
    levels.sizes.forEach(([h, w], l) => {
      const map = (clustered ? clusteredGate : randomGate)(h, w, density, s++);
      gate.set(map, t * levels.rows + levels.offsets[l]!);
    });
  }
  return gate;
}

function affineNorm(sets: number, seed: number, c = C): Float32Array {
  const out = new Float32Array(sets * 2 * c);
  const r = rng(seed);
  for (let i = 0; i < out.length; i++) out[i] = (i / c) % 2 < 1 ? 0.5 + r() : r() - 0.5;
  return out;
}

const gateCase = (activation: GateActivation, shared: boolean, gates = 2) => ({
  name: `gates: ${gates} per row, ${activation}, ${shared ? 'shared input' : 'per-tower input'}, 5 odd levels × 2 towers, C ${C}`,
  run: (rt: GpuRuntime) =>
    withScope(rt, 'head gate', async (scope) => {
      const levels = new PackedLevels(SIZES, 2);
      const inTowers = shared ? 1 : 2;
      const x = randomArray(inTowers * levels.rows * C, 1);
      const w = randomArray(2 * gates * 9 * C, 2, 0.3);
      const b = randomArray(2 * gates, 3, 0.5);
      const consumed = [levelMask(5, [4]), levelMask(5, [0]), levelMask(5), levelMask(5, [1, 3])].slice(0, gates);
      const gate = emptyTensor(scope, [gates, 2, levels.rows]);
      const logits = emptyTensor(scope, [gates, 2, levels.rows]);
      await run(rt, [
        headGateProgram(scope, {
          levels,
          input: uploadTensor(scope, x, [inTowers, levels.rows, C]),
          weights: uploadTensor(scope, w, [2, gates, 9, C]),
          bias: uploadTensor(scope, b, [2, gates]),
          consumed,
          gate,
          logits,
          activation,
        }),
      ]);
      const ref = headGateRef(levels, x, shared, C, w, b, consumed, activation, 1.5);
      assertClose(await readTensor(rt, logits), ref.logits, 'logits', 1e-5);
      assertClose(await readTensor(rt, gate), ref.gate, 'gates', 1e-5);
    }),
});

/**
 * One router's sparse depth part on the GPU (compaction, conv1 at the dilated rows, statistics,
 * conv2 with GN+ReLU on load, statistics, epilogue) against the reference chain, sparse and dense
 * fallback. `constants` overrides every program's constants (e.g. SOFTWARE_ADAPTER: 0 runs the
 * GPU register blocks and quad lanes on SwiftShader).
 */
async function sparseDepthChain(rt: GpuRuntime, scope: BufferScope, c: number, constants: Record<string, number> = {}, label = '', groups = GROUPS): Promise<void> {
  const levels = new PackedLevels(SIZES, 2);
  const adapt = withConstants(constants);
  const y = randomArray(2 * levels.rows * c, 23);
  const w1 = randomArray(2 * 9 * c * c, 24, 0.3);
  const w2 = randomArray(2 * 9 * c * c, 25, 0.3);
  const norm1 = affineNorm(2, 26, c);
  const norm2 = affineNorm(2, 27, c);
  const gateData = packedGate(levels, 0.35, 28, true);
  const layout = new ActiveListsLayout(levels);
  const outputs: Float32Array[] = [];
  for (const crossover of [0.9, 0]) {
    const lists = listsTensor(scope, layout);
    const yT = uploadTensor(scope, y, [2, levels.rows, c]);
    const gate = uploadTensor(scope, gateData, [1, 2, levels.rows]);
    const h1 = emptyTensor(scope, [levels.totalRows, c]);
    const o2 = emptyTensor(scope, [levels.totalRows, c]);
    const a1 = emptyTensor(scope, [levels.segments, 3, c]);
    const a2 = emptyTensor(scope, [levels.segments, 3, c]);
    const stats = (values: Tensor, list: ActiveList, norm: Float32Array, affine: Tensor) => {
      const table = layout.segmentTable(lists.buffer, list);
      return segmentStatsPrograms(scope, {
        values,
        table,
        groups,
        norm: uploadTensor(scope, norm, [2, 2, c]),
        segmentsPerSet: levels.levels,
        affine,
        partials: emptyTensor(scope, [segmentStatsPartials(table, groups), 4]),
        partialDispatch: layout.indirect(lists.buffer, list === 'dilated' ? 'dilatedStats' : 'gateStats'),
      }).map(adapt);
    };
    await run(rt, [
      headCompactProgram(scope, { levels, gate, lists, crossover, convChannels: c, groups }),
      adapt(packedConvProgram(scope, {
        levels,
        input: { kind: 'plain', tensor: yT },
        weights: uploadTensor(scope, w1, [2, 3, 3, c, c]),
        rows: { mode: 'list', lists, layout, list: 'dilated', dispatch: layout.indirect(lists.buffer, 'dilatedConv') },
        placement: 'compact',
        out: h1,
      })),
      ...stats(h1, 'dilated', norm1, a1),
      adapt(packedConvProgram(scope, {
        levels,
        input: { kind: 'normalised', tensor: h1, affine: a1, map: { lists, layout, list: 'dilated' } },
        weights: uploadTensor(scope, w2, [2, 3, 3, c, c]),
        rows: { mode: 'list', lists, layout, list: 'gate', dispatch: layout.indirect(lists.buffer, 'gateConv') },
        placement: 'compact',
        out: o2,
      })),
      ...stats(o2, 'gate', norm2, a2),
      adapt(headEpilogueProgram(scope, { levels, conv: o2, affine: a2, gated: { gate, lists, layout }, y: yT })),
    ]);
    // The reference chain, from the same definitions, on per-pixel data.
    const ref = headCompactRef(levels, gateData, sparseLimitFor(crossover, levels.totalRows));
    const [dil, gl] = ref.lists;
    assert(dil!.dense === (crossover === 0) && gl!.dense === (crossover === 0), `crossover ${crossover}: dense choice`);
    const dilPixels = dil!.rows;
    const h1Ref = new Float32Array(packedConvRef(levels, (_t, row, ch) => y[row * c + ch]!, c, c, w1, dilPixels));
    const h1Pixels = new Float32Array(levels.totalRows * c);
    dilPixels.forEach((p, i) => h1Pixels.set(h1Ref.subarray(i * c, (i + 1) * c), p * c));
    const segmentsOf = (mask: Uint8Array) =>
      Array.from({ length: levels.segments }, (_, s) => ({ start: Math.floor(s / 5) * levels.rows + levels.offsets[s % 5]!, count: levels.pixels(s % 5) }))
        .map((seg) => ({ ...seg, mask }));
    const a1Ref = segmentStatsRef(h1Pixels, c, segmentsOf(ref.dilatedMask), groups, norm1, levels.levels, 1e-5, (r) => ref.dilatedMask[r] === 1);
    const identityIfActive = (mask: Uint8Array) => (p: number) => (mask[p] ? p : INACTIVE_INDEX);
    const gatePixels = gl!.rows;
    const o2Ref = new Float32Array(packedConvRef(levels, normalisedReluAt(levels, h1Pixels, a1Ref, c, identityIfActive(ref.dilatedMask)), c, c, w2, gatePixels));
    const o2Pixels = new Float32Array(levels.totalRows * c);
    gatePixels.forEach((p, i) => o2Pixels.set(o2Ref.subarray(i * c, (i + 1) * c), p * c));
    const a2Ref = segmentStatsRef(o2Pixels, c, segmentsOf(ref.gateMask), groups, norm2, levels.levels, 1e-5, (r) => ref.gateMask[r] === 1);
    const outRef = headEpilogueRef(levels, o2Pixels, identityIfActive(ref.gateMask), a2Ref, gateData, y, c);
    const out = await readTensor(rt, yT);
    assertClose(out, outRef, `router depth part, C ${c}${label} (crossover ${crossover})`, 1e-4);
    outputs.push(out);
  }
  assertClose(outputs[1]!, outputs[0]!, `dense fallback = sparse, C ${c}${label}`, 1e-5);
}

const depthwiseCase = (c: number, constants: Record<string, number> = {}, label = '') => ({
  name: `depthwise: both paths at their source rows only, shared and per-tower input, C ${c}${label}`,
  run: (rt: GpuRuntime) =>
    withScope(rt, 'head depthwise', async (scope) => {
      const levels = new PackedLevels(SIZES, 2);
      const rows = new ScalePathRows(levels);
      for (const shared of [true, false]) {
        const x = randomArray((shared ? 1 : 2) * levels.rows * c, 4);
        const w = randomArray(2 * 2 * 9 * c, 5, 0.4);
        const b = randomArray(2 * 2 * c, 6, 0.2);
        const out = emptyTensor(scope, [rows.total, c]);
        const program = headDepthwiseProgram(scope, {
          levels,
          input: uploadTensor(scope, x, [shared ? 1 : 2, levels.rows, c]),
          weights: uploadTensor(scope, w, [2, 2, 9, c]),
          bias: uploadTensor(scope, b, [2, 2, c]),
          out,
        });
        await run(rt, [withConstants(constants)(program)]);
        assertClose(await readTensor(rt, out), headDepthwiseRef(levels, x, shared, c, w, b), `depthwise (shared ${shared}), C ${c}`, 1e-5);
      }
    }),
});

const scalePartCase = (c: number, groups = GROUPS, constants: Record<string, number> = {}, label = '') => ({
  name: `segment statistics over fixed segments with gaps (${groups} groups), then the fused scale part (gated and fixed), C ${c} (${quadsPerThread(c / 4)} quads per GPU lane)${label}`,
  run: (rt: GpuRuntime) =>
    withScope(rt, 'scale part', async (scope) => {
      const levels = new PackedLevels(SIZES, 2);
      const rows = new ScalePathRows(levels);
      const segments = scaleSegments(levels);
      // A large offset: the statistics must stay exact for data with a large mean.
      const d = randomArray(rows.total * c, 7, 2).map((v) => v + 3);
      const norm = affineNorm(4, 8, c);
      const table = segmentTableData(segments);
      const tableInfo = { buffer: scope.upload(table), meta: 0, segments: segments.length, maxRows: rows.total };
      const affine = emptyTensor(scope, [segments.length, 3, c]);
      const depthwise = uploadTensor(scope, d, [rows.total, c]);
      const adapt = withConstants(constants);
      await run(rt, segmentStatsPrograms(scope, {
        values: depthwise,
        table: tableInfo,
        groups,
        norm: uploadTensor(scope, norm, [4, 2, c]),
        segmentsPerSet: levels.levels - 1,
        affine,
        partials: emptyTensor(scope, [segmentStatsPartials(tableInfo, groups), 4]),
      }).map(adapt));
      const affineRef = segmentStatsRef(d, c, segments, groups, norm, levels.levels - 1);
      const affineGpu = await readTensor(rt, affine);
      assertClose(affineGpu, affineRef, `scale-part affine, C ${c}`, 1e-5);
      const x = randomArray(levels.rows * c, 9);
      const gates = packedGate(levels.withTowers(4), 0.5, 10).subarray(0, 2 * levels.totalRows);
      const weights = new Float32Array([0.4, 0.5, 0.8, 0.7]);
      for (const gated of [true, false]) {
        const out = emptyTensor(scope, [2, levels.rows, c]);
        await run(rt, [
          adapt(scaleFuseProgram(scope, {
            levels,
            input: uploadTensor(scope, x, [1, levels.rows, c]),
            depthwise,
            gates: gated ? uploadTensor(scope, gates, [2, 2, levels.rows]) : undefined,
            affine,
            weights: uploadTensor(scope, weights, [2, 2]),
            out,
          })),
        ]);
        const ref = scaleFuseRef(levels, x, true, c, d, gated ? gates : undefined, affineGpu, weights);
        assertClose(await readTensor(rt, out), ref, `scale fuse (${gated ? 'gated' : 'fixed'}), C ${c}`, 1e-5);
      }
    }),
});

export default defineKernelSuite('packed-head', [
  gateCase('geretanh', true),
  gateCase('sigmoid', false),
  gateCase('retanh', false, 1),
  gateCase('geretanh', true, 4),
  depthwiseCase(C),
  // 66 quads: more than the 64 lanes, so some lanes take two.
  depthwiseCase(264),
  // The lanes a GPU runs (one quad each, or two past 64), on SwiftShader.
  depthwiseCase(C, GPU_LANES, ', GPU lanes'),
  depthwiseCase(264, GPU_LANES, ', GPU lanes'),
  scalePartCase(C),
  scalePartCase(8),
  scalePartCase(32),
  // One (two) channels per group: the partial pass does 4 (2) groups per thread from one vec4.
  scalePartCase(32, 32),
  scalePartCase(20, 10),
  scalePartCase(24, 24, GPU_LANES, ', GPU lanes'),
  {
    name: 'compaction: both lists, maps, segment tables, counts and arguments; empty, single pixel, sparse, full, dense fallback',
    run: (rt) =>
      withScope(rt, 'head compact', async (scope) => {
        const sizes: [number, number][][] = [SIZES, [[37, 29], [19, 15], [10, 8], [5, 4], [3, 2]]];
        for (const levelSizes of sizes) {
          const levels = new PackedLevels(levelSizes, 2);
          const layout = new ActiveListsLayout(levels);
          const cases: [string, Float32Array, number][] = [
            ['empty', new Float32Array(levels.totalRows), 0.9],
            ['one pixel', Object.assign(new Float32Array(levels.totalRows), { [levels.rows + 5]: 0.5 }), 0.9],
            ['random 20 %', packedGate(levels, 0.2, 11), 0.9],
            ['clustered 40 %', packedGate(levels, 0.4, 12, true), 0.9],
            ['full', new Float32Array(levels.totalRows).fill(0.3), 1],
            ['random 60 %, crossover 0.3 (dense fallback)', packedGate(levels, 0.6, 13), 0.3],
          ];
          for (const [what, gateData, crossover] of cases) {
            const scaleData = packedGate(levels.withTowers(4), 0.3, 14).subarray(0, 2 * levels.totalRows);
            const lists = listsTensor(scope, layout);
            await run(rt, [
              headCompactProgram(scope, {
                levels,
                gate: uploadTensor(scope, gateData, [1, 2, levels.rows]),
                scaleGates: uploadTensor(scope, scaleData, [2, 2, levels.rows]),
                lists,
                crossover,
                convChannels: 70,
                groups: GROUPS,
              }),
            ]);
            const words = await rt.readU32(lists.buffer, layout.words);
            const ref = headCompactRef(levels, gateData, sparseLimitFor(crossover, levels.totalRows), scaleData);
            const label = `${levels.rows} rows/tower, ${what}`;
            (['dilated', 'gate'] as ActiveList[]).forEach((list, d) => {
              const r = ref.lists[d]!;
              const meta = layout.meta[list];
              assert(words[meta] === (r.dense ? 1 : 0), `${label} ${list}: dense flag ${words[meta]}`);
              assert(words[meta + 1] === (r.dense ? levels.totalRows : r.rows.length), `${label} ${list}: rows ${words[meta + 1]}`);
              r.segments.forEach((s, i) => {
                assert(words[meta + 2 + 2 * i] === s.start && words[meta + 3 + 2 * i] === s.count, `${label} ${list}: segment ${i} is (${words[meta + 2 + 2 * i]}, ${words[meta + 3 + 2 * i]}), expected (${s.start}, ${s.count})`);
                assert(words[layout.active[list] + i] === r.active[i], `${label} ${list}: active count of segment ${i}`);
              });
              for (let p = 0; p < levels.totalRows; p++) {
                assert(words[layout.map[list] + p] === r.map[p], `${label} ${list}: map[${p}] = ${words[layout.map[list] + p]}, expected ${r.map[p]}`);
              }
              if (!r.dense) r.rows.forEach((p, i) => assert(words[layout.rows[list] + i] === p, `${label} ${list}: row ${i}`));
              // Conv arguments: (ceil(70 / column tile), max over towers of ceil(rows / 32), 2); stats 1-D.
              const towerRows = [0, 1].map((t) => (r.dense ? levels.rows : r.active.slice(t * 5, t * 5 + 5).reduce((a, b) => a + b, 0)));
              const tiles = Math.max(...towerRows.map((n) => Math.ceil(n / 32)));
              const conv = [...words.subarray(6 * d, 6 * d + 3)];
              const expected = tiles === 0 ? [0, 0, 0] : [Math.ceil(70 / conv2dTileCols(70)), tiles, 2];
              assert(conv.join() === expected.join(), `${label} ${list}: conv args ${conv}, expected ${expected}`);
              const total = r.dense ? levels.totalRows : r.rows.length;
              const groups = Math.ceil((Math.ceil(total / 16) * GROUPS) / 64);
              const stats = [...words.subarray(6 * d + 3, 6 * d + 6)];
              assert(stats.join() === (groups ? [groups, 1, 1] : [0, 0, 0]).join(), `${label} ${list}: stats args ${stats}`);
            });
            ref.scaleActive![0].forEach((n, i) => assert(words[layout.scaleActive[0] + i] === n, `${label}: scale path 0 count of segment ${i}`));
            ref.scaleActive![1].forEach((n, i) => assert(words[layout.scaleActive[1] + i] === n, `${label}: scale path 1 count of segment ${i}`));
          }
        }
      }),
  },
  {
    name: 'packed convs: dense (shared input, stacked weights, scalar channels), sparse chain conv1 → stats → conv2 with GN+ReLU on load → epilogue, sparse = dense fallback',
    run: (rt) =>
      withScope(rt, 'packed conv chain', async (scope) => {
        const levels = new PackedLevels(SIZES, 2);
        // Dense, Cin 6 (scalar loads), Cout 5 (scalar weights), one shared input.
        {
          const x = randomArray(levels.rows * 6, 20);
          const w = randomArray(2 * 9 * 6 * 5, 21, 0.3);
          const bias = randomArray(5, 22);
          const out = emptyTensor(scope, [2, levels.rows, 5]);
          await run(rt, [packedConvProgram(scope, {
            levels,
            input: { kind: 'plain', tensor: uploadTensor(scope, x, [1, levels.rows, 6]) },
            weights: uploadTensor(scope, w, [2, 3, 3, 6, 5]),
            bias: uploadTensor(scope, bias, [5]),
            rows: { mode: 'all' },
            placement: 'pixel',
            out,
          })]);
          const pixels = Array.from({ length: levels.totalRows }, (_, p) => p);
          const ref = packedConvRef(levels, (_t, row, c) => x[(row % levels.rows) * 6 + c]!, 6, 5, w, pixels, bias);
          assertClose(await readTensor(rt, out), ref, 'dense packed conv', 1e-5);
        }
        await sparseDepthChain(rt, scope, C);
      }),
  },
  {
    name: 'packed conv chain at C 64 (64-wide tiles): the register blocks and lanes of a CPU adapter and of a GPU; groups of one and two channels',
    run: (rt) =>
      withScope(rt, 'packed conv chain C 64', async (scope) => {
        await sparseDepthChain(rt, scope, 64);
        await sparseDepthChain(rt, scope, 64, GPU_LANES, ', GPU blocks');
        // One channel per group (the statistics' 4-group threads), as the narrow models have.
        await sparseDepthChain(rt, scope, 64, {}, ', 64 groups', 64);
        // Two channels per group (the default model's 32 groups of 64 channels).
        await sparseDepthChain(rt, scope, 64, {}, ', 32 groups', 32);
      }),
  },
  {
    name: 'packed predictors: one tower of a two-tower input, bias, box epilogue (Scale·ReLU·stride), Cout 5',
    run: (rt) =>
      withScope(rt, 'predictor', async (scope) => {
        const two = new PackedLevels(SIZES, 2);
        const one = two.withTowers(1);
        const x = randomArray(two.totalRows * C, 30);
        const w = randomArray(9 * C * 5, 31, 0.3);
        const bias = randomArray(5, 32);
        const scales = new Float32Array([0.9, 1.1, 1.0, 1.2, 0.8]);
        const strides = [8, 16, 32, 64, 128];
        const out = emptyTensor(scope, [1, one.rows, 5]);
        await run(rt, [packedConvProgram(scope, {
          levels: one,
          input: { kind: 'plain', tensor: uploadTensor(scope, x, [2, two.rows, C]), tower: 1 },
          weights: uploadTensor(scope, w, [3, 3, C, 5]),
          bias: uploadTensor(scope, bias, [5]),
          rows: { mode: 'all' },
          placement: 'pixel',
          box: { scales: uploadTensor(scope, scales, [5]), strides },
          out,
        })]);
        const pixels = Array.from({ length: one.rows }, (_, p) => p);
        const raw = packedConvRef(one, (_t, row, c) => x[(two.rows + row) * C + c]!, C, 5, w, pixels, bias);
        const ref = new Float32Array(raw.length);
        forEachRow(one, (_t, l, _y, _x, p) => {
          for (let j = 0; j < 5; j++) ref[p * 5 + j] = j < 4 ? Math.max(raw[p * 5 + j]! * Math.fround(scales[l]! * strides[l]!), 0) : raw[p * 5 + j]!;
        });
        assertClose(await readTensor(rt, out), ref, 'box predictor', 1e-5);
        await assertRejects(
          () => packedConvProgram(scope, { levels: one, input: { kind: 'plain', tensor: uploadTensor(scope, x, [2, two.rows, C]), tower: 1 }, weights: uploadTensor(scope, w, [3, 3, C, 5]), rows: { mode: 'all' }, placement: 'compact', out }),
          InvalidArgumentError,
          'placement',
        );
      }),
  },
  {
    name: 'packed predictors: narrow column tiles, Cout 1, 6, 11, 80, 83 (16- and 32-wide tiles, partial last tile)',
    run: (rt) =>
      withScope(rt, 'predictor widths', async (scope) => {
        const two = new PackedLevels(SIZES, 2);
        const one = two.withTowers(1);
        const x = randomArray(two.totalRows * C, 33);
        const input = uploadTensor(scope, x, [2, two.rows, C]);
        const pixels = Array.from({ length: one.rows }, (_, p) => p);
        for (const [cout, tile] of [[1, 16], [6, 16], [11, 16], [80, 32], [83, 32]] as const) {
          assert(conv2dTileCols(cout) === tile, `Cout ${cout}: column tile ${conv2dTileCols(cout)}, expected ${tile}`);
          const w = randomArray(9 * C * cout, 34 + cout, 0.3);
          const bias = randomArray(cout, 35 + cout);
          const out = emptyTensor(scope, [1, one.rows, cout]);
          await run(rt, [packedConvProgram(scope, {
            levels: one,
            input: { kind: 'plain', tensor: input, tower: 0 },
            weights: uploadTensor(scope, w, [3, 3, C, cout]),
            bias: uploadTensor(scope, bias, [cout]),
            rows: { mode: 'all' },
            placement: 'pixel',
            out,
          })]);
          const ref = packedConvRef(one, (_t, row, c) => x[row * C + c]!, C, cout, w, pixels, bias);
          assertClose(await readTensor(rt, out), ref, `class predictor, Cout ${cout}`, 1e-5);
        }
      }),
  },
]);
