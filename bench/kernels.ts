/**
 * Kernel benchmark: GFLOP/s (2 · MACs / time) of the convolution kernels against a 1×1 conv of
 * the same GEMM shape (a plain GEMM through the same kernel: the ceiling the im2col gather is
 * compared with), and the packed head's kernels, on the Node adapter (Dawn).
 *   npm run bench:kernels [-- --profile ci|full] [--reps N]
 * `ci` uses small shapes (a few seconds each on SwiftShader); `full` uses ResNet/head-sized ones.
 * Results also go to bench-results/kernels-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BufferScope } from '../src/gpu/buffers';
import type { KernelProgram } from '../src/gpu/kernel';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import type { GpuRuntime } from '../src/gpu/runtime';
import { ActiveListsLayout } from '../src/ops/active-lists';
import { conv2dProgram, convOutputSize } from '../src/ops/conv2d';
import { headDepthwiseProgram, ScalePathRows } from '../src/ops/head-depthwise';
import { sparseLimitFor } from '../src/ops/head-compact';
import { headGateProgram, levelMask } from '../src/ops/head-gate';
import { packedConvProgram } from '../src/ops/packed-conv';
import { PackedLevels } from '../src/ops/packed-levels';
import { numel, type Tensor } from '../src/ops/tensor';
import { encodeCompaction, headCompactRef } from '../src/reference/packed-head';
import { timeProgram, type KernelTiming } from './timing';

type Profile = 'ci' | 'full';

interface BenchCase {
  readonly name: string;
  readonly shape: string;
  readonly macs: number;
  /** The (earlier) matmul case this kernel's GFLOP/s is compared with. */
  readonly ceiling?: string;
  build(scope: BufferScope): KernelProgram;
}

interface BenchRow {
  readonly name: string;
  readonly shape: string;
  readonly mflop: number;
  readonly timing: KernelTiming;
  readonly gflops: number;
  readonly vsMatmul?: number;
}

/** Small uniform values from a cheap LCG: the numbers only need to be finite and non-denormal. */
function random(scope: BufferScope, shape: readonly number[], seed: number): Tensor {
  const data = new Float32Array(numel(shape));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * 0.1;
  }
  return { buffer: scope.upload(data), shape };
}

function empty(scope: BufferScope, shape: readonly number[]): Tensor {
  return { buffer: scope.storage(numel(shape) * 4), shape };
}

function convCase(
  name: string,
  [n, h, w, cin]: [number, number, number, number],
  cout: number,
  k: number,
  stride: number,
  pad: number,
  ceiling?: string,
): BenchCase {
  const inputShape = [n, h, w, cin];
  const outH = convOutputSize(h, k, stride, pad);
  const outW = convOutputSize(w, k, stride, pad);
  return {
    name,
    shape: `${inputShape.join('×')} → ${cout}, ${k}×${k}/${stride}`,
    macs: n * outH * outW * cout * k * k * cin,
    ceiling,
    build: (scope) =>
      conv2dProgram(scope, {
        input: random(scope, inputShape, 1),
        weights: random(scope, [k, k, cin, cout], 2),
        bias: random(scope, [cout], 3),
        relu: true,
        stride,
        padding: pad,
        out: empty(scope, [n, outH, outW, cout]),
      }),
  };
}

const describeLevels = (levels: PackedLevels, c: number) => `${levels.towers} towers × {${levels.sizes.map(([h, w]) => `${h}×${w}`).join(', ')}} × ${c}`;

/** The head's 3×3 conv over packed rows: every row, or a list of `density` of them (spread like a gate mask). */
function packedConvCase(name: string, levels: PackedLevels, c: number, ceiling: string, density?: number): BenchCase {
  const active = density === undefined ? levels.totalRows : Math.round(levels.totalRows * density);
  return {
    name,
    shape: describeLevels(levels, c) + (density === undefined ? '' : `, ${Math.round(density * 100)} % of rows`),
    macs: active * c * 9 * c,
    ceiling,
    build: (scope) => {
      const weights = random(scope, [levels.towers, 3, 3, c, c], 2);
      const input = { kind: 'plain' as const, tensor: random(scope, [levels.towers, levels.rows, c], 1) };
      if (density === undefined) return packedConvProgram(scope, { levels, input, weights, rows: { mode: 'all' }, placement: 'pixel', out: empty(scope, [levels.towers, levels.rows, c]) });
      const layout = new ActiveListsLayout(levels);
      const step = levels.totalRows / active;
      const gate = new Float32Array(levels.totalRows);
      for (let i = 0; i < active; i++) gate[Math.floor(i * step)] = 0.5;
      const words = encodeCompaction(layout, headCompactRef(levels, gate, sparseLimitFor(1, levels.totalRows)), c, 32);
      const lists: Tensor = { buffer: scope.upload(words, 'lists', GPUBufferUsage.INDIRECT), shape: [layout.words] };
      return packedConvProgram(scope, {
        levels,
        input,
        weights,
        rows: { mode: 'list', lists, layout, list: 'gate', dispatch: layout.indirect(lists.buffer, 'gateConv') },
        placement: 'compact',
        out: empty(scope, [levels.totalRows, c]),
      });
    },
  };
}

function depthwiseCase(name: string, levels: PackedLevels, c: number): BenchCase {
  return {
    name,
    shape: `${describeLevels(levels, c)}, 2 paths`,
    macs: new ScalePathRows(levels).total * c * 9,
    build: (scope) =>
      headDepthwiseProgram(scope, {
        levels,
        input: random(scope, [levels.towers, levels.rows, c], 7),
        weights: random(scope, [levels.towers, 2, 9, c], 8),
        bias: random(scope, [levels.towers, 2, c], 9),
        out: empty(scope, [new ScalePathRows(levels).total, c]),
      }),
  };
}

function gateCase(name: string, levels: PackedLevels, c: number): BenchCase {
  return {
    name,
    shape: `${describeLevels(levels, c)} → 2 gates, 3×3 + GeReTanH`,
    macs: 2 * levels.totalRows * c * 9,
    build: (scope) =>
      headGateProgram(scope, {
        levels,
        input: random(scope, [levels.towers, levels.rows, c], 10),
        weights: random(scope, [levels.towers, 2, 9, c], 11),
        bias: random(scope, [levels.towers, 2], 12),
        consumed: [levelMask(levels.levels), levelMask(levels.levels)],
        gate: empty(scope, [2, levels.towers, levels.rows]),
      }),
  };
}

function cases(profile: Profile): BenchCase[] {
  if (profile === 'full') {
    const head = new PackedLevels([[64, 64], [32, 32], [16, 16], [8, 8], [4, 4]], 2);
    return [
      convCase('GEMM on conv2d (1×1, ceiling)', [1, 4096, 1, 2304], 256, 1, 1, 0),
      convCase('conv 3×3', [1, 64, 64, 256], 256, 3, 1, 1, 'GEMM on conv2d (1×1, ceiling)'),
      convCase('conv 1×1', [1, 64, 64, 256], 256, 1, 1, 0, 'GEMM on conv2d (1×1, ceiling)'),
      convCase('stem 7×7/2', [1, 224, 224, 3], 64, 7, 2, 3, 'GEMM on conv2d (1×1, ceiling)'),
      packedConvCase('packed conv 3×3, every row', head, 256, 'GEMM on conv2d (1×1, ceiling)'),
      packedConvCase('packed conv 3×3, row list', head, 256, 'GEMM on conv2d (1×1, ceiling)', 0.25),
      depthwiseCase('packed depthwise 3×3', head, 256),
      gateCase('packed spatial gates', head, 256),
    ];
  }
  const head = new PackedLevels([[32, 32], [16, 16], [8, 8], [4, 4], [2, 2]], 2);
  return [
    convCase('GEMM on conv2d (1×1, ceiling)', [1, 1024, 1, 576], 64, 1, 1, 0),
    convCase('conv 3×3', [1, 32, 32, 64], 64, 3, 1, 1, 'GEMM on conv2d (1×1, ceiling)'),
    convCase('conv 1×1', [1, 32, 32, 256], 256, 1, 1, 0, 'GEMM on conv2d (1×1, ceiling)'),
    convCase('stem 7×7/2', [1, 112, 112, 3], 64, 7, 2, 3, 'GEMM on conv2d (1×1, ceiling)'),
    packedConvCase('packed conv 3×3, every row', head, 64, 'GEMM on conv2d (1×1, ceiling)'),
    packedConvCase('packed conv 3×3, row list', head, 64, 'GEMM on conv2d (1×1, ceiling)', 0.25),
    depthwiseCase('packed depthwise 3×3', head, 64),
    gateCase('packed spatial gates', head, 64),
  ];
}

function parseArgs(args: readonly string[]): { profile: Profile; repetitions: number } {
  let profile: Profile = 'ci';
  let repetitions = 5;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--profile') {
      const v = args[++i];
      if (v !== 'ci' && v !== 'full') throw new Error(`--profile must be ci or full, got ${String(v)}`);
      profile = v;
    } else if (a === '--reps') {
      repetitions = Number(args[++i]);
      if (!Number.isInteger(repetitions) || repetitions < 1) throw new Error('--reps must be a positive integer');
    } else {
      throw new Error(`unknown argument ${String(a)} (usage: --profile ci|full, --reps N)`);
    }
  }
  return { profile, repetitions };
}

async function runCase(rt: GpuRuntime, c: BenchCase, repetitions: number): Promise<KernelTiming> {
  const scope = rt.scope(c.name);
  try {
    return await timeProgram(rt, c.build(scope), { repetitions });
  } finally {
    scope.dispose();
  }
}

function table(rows: readonly BenchRow[]): string {
  const header = ['kernel', 'shape', 'MFLOP', 'median ms', 'GFLOP/s', 'vs GEMM'];
  const body = rows.map((r) => [
    r.name,
    r.shape,
    r.mflop.toFixed(1),
    r.timing.medianMs.toFixed(3),
    r.gflops.toFixed(2),
    r.vsMatmul === undefined ? '' : r.vsMatmul.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export async function main(args: string[]): Promise<number> {
  const { profile, repetitions } = parseArgs(args);
  const rt = await createNodeRuntime();
  const info = rt.capabilities.adapterInfo;
  const adapter = [info.description, info.vendor, info.architecture, info.device].filter(Boolean).join(' / ') || 'unknown';
  console.log(`adapter: ${adapter}`);
  console.log(`timestamp-query: ${rt.capabilities.timestampQuery ? 'yes (GPU pass times)' : 'no (wall clock, submit to done)'}`);
  console.log(`profile: ${profile}, ${repetitions} timed repetitions per kernel (median)\n`);

  const started = performance.now();
  const rows: BenchRow[] = [];
  for (const c of cases(profile)) {
    const timing = await runCase(rt, c, repetitions);
    const gflops = (2 * c.macs) / (timing.medianMs * 1e6);
    const ceiling = c.ceiling ? rows.find((r) => r.name === c.ceiling) : undefined;
    rows.push({ name: c.name, shape: c.shape, mflop: (2 * c.macs) / 1e6, timing, gflops, vsMatmul: ceiling ? gflops / ceiling.gflops : undefined });
    console.log(`  ${c.name}: ${timing.medianMs.toFixed(3)} ms, ${gflops.toFixed(2)} GFLOP/s`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${table(rows)}\n\n${seconds.toFixed(1)} s in all; timing source: ${rows[0]?.timing.source ?? 'none'}`);

  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/kernels-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), profile, repetitions, adapter: info, timestampQuery: rt.capabilities.timestampQuery, seconds, results: rows },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
  rt.destroy();
  return 0;
}
