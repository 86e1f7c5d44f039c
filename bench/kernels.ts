/**
 * Kernel benchmark: GFLOP/s (2 · MACs / time) of the convolution kernels against a plain tiled
 * matmul of the same GEMM shape as the adapter's ceiling, on the Node adapter (Dawn).
 *   npm run bench:kernels [-- --profile ci|full] [--reps N]
 * `ci` uses small shapes (a few seconds each on SwiftShader); `full` uses ResNet/head-sized ones.
 * Results also go to bench-results/kernels-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BufferScope } from '../src/gpu/buffers';
import type { KernelProgram } from '../src/gpu/kernel';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import type { GpuRuntime } from '../src/gpu/runtime';
import { conv2dProgram, convOutputSize, type ConvRows } from '../src/ops/conv2d';
import { depthwiseConv3x3Program } from '../src/ops/depthwise-conv';
import { matmulProgram } from '../src/ops/matmul';
import { spatialGateProgram } from '../src/ops/spatial-gate';
import { numel, type Tensor } from '../src/ops/tensor';
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
  density?: number,
): BenchCase {
  const inputShape = [n, h, w, cin];
  const weightShape = [k, k, cin, cout];
  const outH = convOutputSize(h, k, stride, pad);
  const outW = convOutputSize(w, k, stride, pad);
  const pixels = n * outH * outW;
  const active = density === undefined ? pixels : Math.max(1, Math.round(pixels * density));
  return {
    name,
    shape: `${inputShape.join('×')} → ${cout}, ${k}×${k}/${stride}` + (density === undefined ? '' : `, ${Math.round(density * 100)} % of pixels`),
    macs: active * cout * k * k * cin,
    ceiling,
    build: (scope) => {
      let rows: ConvRows = { mode: 'dense' };
      let outShape = [n, outH, outW, cout];
      if (density !== undefined) {
        // Every (1/density)-th pixel, spread over the image like a real gate mask.
        const step = pixels / active;
        const list = Uint32Array.from({ length: active }, (_, i) => Math.floor(i * step));
        rows = {
          mode: 'indexed',
          rows: { buffer: scope.upload(list), shape: [active] },
          count: { buffer: scope.upload(new Uint32Array([active])), shape: [1] },
          placement: 'compact',
        };
        outShape = [active, cout];
      }
      return conv2dProgram(scope, {
        input: random(scope, inputShape, 1),
        weights: random(scope, weightShape, 2),
        bias: random(scope, [cout], 3),
        relu: true,
        stride,
        padding: pad,
        rows,
        out: empty(scope, outShape),
      });
    },
  };
}

function matmulCase(name: string, m: number, k: number, n: number): BenchCase {
  return {
    name,
    shape: `${m}×${k} · ${k}×${n}`,
    macs: m * k * n,
    build: (scope) =>
      matmulProgram(scope, {
        a: random(scope, [m, k], 4),
        b: random(scope, [k, n], 5),
        bias: random(scope, [n], 6),
        relu: true,
        out: empty(scope, [m, n]),
      }),
  };
}

function depthwiseCase(name: string, [n, h, w, c]: [number, number, number, number]): BenchCase {
  return {
    name,
    shape: `${[n, h, w, c].join('×')}, 3×3/1`,
    macs: n * h * w * c * 9,
    build: (scope) =>
      depthwiseConv3x3Program(
        scope,
        random(scope, [n, h, w, c], 7),
        random(scope, [9, c], 8),
        random(scope, [c], 9),
        empty(scope, [n, h, w, c]),
      ),
  };
}

function gateCase(name: string, [n, h, w, c]: [number, number, number, number], lanes?: number): BenchCase {
  return {
    name: lanes === undefined ? name : `${name} (${lanes} lane${lanes > 1 ? 's' : ''}/px)`,
    shape: `${[n, h, w, c].join('×')} → 1, 3×3 + GeReTanH`,
    macs: n * h * w * c * 9,
    build: (scope) =>
      spatialGateProgram(scope, {
        input: random(scope, [n, h, w, c], 10),
        weights: random(scope, [3, 3, c, 1], 11),
        bias: random(scope, [1], 12),
        gate: empty(scope, [n, h, w, 1]),
        lanes,
      }),
  };
}

function cases(profile: Profile): BenchCase[] {
  if (profile === 'full') {
    return [
      matmulCase('matmul (ceiling)', 4096, 2304, 256),
      convCase('GEMM on conv2d (1×1)', [1, 4096, 1, 2304], 256, 1, 1, 0, 'matmul (ceiling)'),
      convCase('conv 3×3', [1, 64, 64, 256], 256, 3, 1, 1, 'matmul (ceiling)'),
      convCase('conv 3×3 indexed', [1, 64, 64, 256], 256, 3, 1, 1, 'matmul (ceiling)', 0.25),
      convCase('conv 1×1', [1, 64, 64, 256], 256, 1, 1, 0, 'matmul (ceiling)'),
      convCase('stem 7×7/2', [1, 224, 224, 3], 64, 7, 2, 3, 'matmul (ceiling)'),
      depthwiseCase('depthwise 3×3', [1, 64, 64, 256]),
      gateCase('spatial gate (default lanes)', [1, 64, 64, 256]),
      gateCase('spatial gate', [1, 64, 64, 256], 1),
      gateCase('spatial gate', [1, 64, 64, 256], 32),
    ];
  }
  return [
    matmulCase('matmul (ceiling)', 1024, 576, 64),
    convCase('GEMM on conv2d (1×1)', [1, 1024, 1, 576], 64, 1, 1, 0, 'matmul (ceiling)'),
    convCase('conv 3×3', [1, 32, 32, 64], 64, 3, 1, 1, 'matmul (ceiling)'),
    convCase('conv 3×3 indexed', [1, 32, 32, 64], 64, 3, 1, 1, 'matmul (ceiling)', 0.25),
    convCase('conv 1×1', [1, 32, 32, 256], 256, 1, 1, 0, 'matmul (ceiling)'),
    convCase('stem 7×7/2', [1, 112, 112, 3], 64, 7, 2, 3, 'matmul (ceiling)'),
    depthwiseCase('depthwise 3×3', [1, 32, 32, 64]),
    gateCase('spatial gate (default lanes)', [1, 32, 32, 64]),
    gateCase('spatial gate', [1, 32, 32, 64], 1),
    gateCase('spatial gate', [1, 32, 32, 64], 32),
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
  const header = ['kernel', 'shape', 'MFLOP', 'median ms', 'GFLOP/s', 'vs matmul'];
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
