/**
 * Sparse head benchmark: time(sparse) / time(dense-masked) of the dynamic head's masked 3×3 conv
 * block (conv + masked GroupNorm + fused epilogue) and of the gate-restricted depthwise conv, at
 * densities 0 … 100 % of random and clustered masks, with and without the dense fallback, all
 * measured side by side in one run (GPU timestamps when the adapter has them; median of N).
 *   npm run bench:sparse [-- --profile ci|full|both] [--reps N] [--depthwise-reps N] [--crossover F] [--min-pass-ms M]
 *                        [--densities 0,0.1,...] [--masks random,clustered] [--ops conv-block,depthwise]
 * `ci`: 64 channels at 32×32; `full`: 256 channels at 64×64 (a dense block takes seconds on
 * SwiftShader: narrow it there with --densities / --masks / --reps).
 * The sparse times include the compaction of the mask; both include nothing of the mask itself.
 * The fallback's crossover is calibrated from the same run's sparse/dense samples of random
 * masks (crossoverFromSamples) unless --crossover is given, which also skips that first pass.
 * JSON goes to bench-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BufferScope } from '../src/gpu/buffers';
import type { KernelProgram } from '../src/gpu/kernel';
import { createNodeRuntime, dawnEventPacing } from '../src/gpu/node-gpu';
import type { GpuRuntime } from '../src/gpu/runtime';
import { compactPrograms } from '../src/ops/compact';
import { depthwiseConv3x3Program } from '../src/ops/depthwise-conv';
import { mulGateProgram } from '../src/ops/elementwise';
import { groupNormPrograms } from '../src/ops/group-norm';
import { sparseConvBlockPrograms, type SparseStrategy } from '../src/ops/sparse-conv';
import { crossoverFromSamples, timePassMs, type CrossoverSample } from '../src/ops/sparse-crossover';
import { scalePathPrograms, sparseDepthwisePrograms } from '../src/ops/sparse-depthwise';
import type { Tensor } from '../src/ops/tensor';
import { clusteredGate, randomGate } from '../tests/harness/masks';

type ProfileName = 'ci' | 'full';
type MaskKind = 'random' | 'clustered';
type Op = 'conv-block' | 'depthwise';

interface Profile {
  readonly name: ProfileName;
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

const PROFILES: Record<ProfileName, Profile> = {
  ci: { name: 'ci', h: 32, w: 32, c: 64 },
  full: { name: 'full', h: 64, w: 64, c: 256 },
};
const DEFAULT_DENSITIES = [0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1];

interface Selection {
  readonly densities: readonly number[];
  readonly masks: readonly MaskKind[];
  readonly ops: readonly Op[];
}

interface Row {
  readonly profile: ProfileName;
  readonly op: Op;
  readonly mask: MaskKind;
  readonly target: number;
  readonly density: number;
  /** Runs of the op per timed pass. */
  readonly batch: number;
  readonly denseMs: number;
  readonly sparseMs: number;
  readonly fallbackMs?: number;
  readonly sparseRatio: number;
  readonly fallbackRatio?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function filled(scope: BufferScope, shape: readonly number[], seed: number, scale = 0.2): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * scale;
  }
  return { buffer: scope.upload(data), shape };
}

/**
 * Runs each variant once to compile, then `reps` interleaved timed rounds (order rotating);
 * medians per variant. A timed pass runs a variant `batch` times back to back (each variant is
 * idempotent) and counts the mean: SwiftShader's timestamps tick every 65.5 µs, ±2 % of a 3 ms
 * op, and a batch of 8 cuts that to ±0.3 %. The batch is chosen once per mask so the dense
 * variant's pass lasts at least `minPassMs`.
 * (Ratios of minima and medians of per-round ratios were tried too: both swung more between runs
 * than the ratio of medians.)
 */
async function timeSideBySide(
  rt: GpuRuntime,
  variants: readonly (readonly KernelProgram[])[],
  reps: number,
  minPassMs: number,
): Promise<{ medians: number[]; batch: number }> {
  for (const v of variants) await rt.run([v]);
  const denseMs = await timePassMs(rt, variants[1] ?? variants[0]!);
  const batch = Math.max(1, Math.min(32, Math.ceil(minPassMs / Math.max(denseMs, 1e-3))));
  const passes = variants.map((v) => Array.from({ length: batch }, () => v).flat());
  const samples = variants.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    // The order rotates every round: after seconds of work a shared CPU can run the next job
    // slower, which a fixed order would charge to the same variant every time.
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      samples[i]!.push((await timePassMs(rt, passes[i]!)) / batch);
    }
  }
  return { medians: samples.map(median), batch };
}

interface Problem {
  readonly scope: BufferScope;
  readonly profile: Profile;
  readonly input: Tensor;
  readonly weights: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly dwWeights: Tensor;
  readonly dwBias: Tensor;
  readonly out: Tensor;
  readonly scratch: Tensor;
}

function makeProblem(scope: BufferScope, profile: Profile): Problem {
  const { h, w, c } = profile;
  return {
    scope,
    profile,
    input: filled(scope, [1, h, w, c], 1, 2),
    weights: filled(scope, [3, 3, c, c], 2),
    gamma: filled(scope, [c], 3),
    beta: filled(scope, [c], 4),
    dwWeights: filled(scope, [9, c], 5),
    dwBias: filled(scope, [c], 6),
    out: { buffer: scope.storage(h * w * c * 4, 'bench out'), shape: [1, h, w, c] },
    scratch: { buffer: scope.storage(h * w * c * 4, 'bench scratch'), shape: [h * w, c] },
  };
}

function gateFor(profile: Profile, kind: MaskKind, density: number): Float32Array {
  const seed = 1000 + Math.round(density * 100);
  return kind === 'random' ? randomGate(profile.h, profile.w, density, seed) : clusteredGate(profile.h, profile.w, density, seed);
}

/** The conv block's three variants for one mask: sparse, dense-masked, auto (if a crossover). */
function convVariants(p: Problem, maskData: Float32Array, crossover?: number): KernelProgram[][] {
  const { scope, profile } = p;
  const mask: Tensor = { buffer: scope.upload(maskData), shape: [1, profile.h, profile.w, 1] };
  const { programs: compact, active } = compactPrograms(scope, mask);
  const block = (strategy: SparseStrategy) =>
    sparseConvBlockPrograms(scope, {
      input: p.input,
      weights: p.weights,
      gamma: p.gamma,
      beta: p.beta,
      groups: 32,
      strategy,
      epilogue: { kind: 'relu' },
      out: p.out,
      scratch: p.scratch,
    }).programs;
  const variants = [[...compact, ...block({ mode: 'sparse', active })], block({ mode: 'dense', mask })];
  if (crossover !== undefined) variants.push([...compact, ...block({ mode: 'auto', active, crossover })]);
  return variants;
}

/** The gate-restricted depthwise conv: sparse (with compaction), dense, auto. */
function depthwiseVariants(p: Problem, maskData: Float32Array, crossover?: number): KernelProgram[][] {
  const { scope, profile } = p;
  const mask: Tensor = { buffer: scope.upload(maskData), shape: [1, profile.h, profile.w, 1] };
  const args = { input: p.input, weights: p.dwWeights, bias: p.dwBias, mask, out: p.out };
  const variants = [sparseDepthwisePrograms(scope, args).programs, [depthwiseConv3x3Program(scope, p.input, p.dwWeights, p.dwBias, p.out)]];
  if (crossover !== undefined) variants.push(sparseDepthwisePrograms(scope, { ...args, crossover }).programs);
  return variants;
}

async function measureOp(
  rt: GpuRuntime,
  p: Problem,
  op: Op,
  reps: number,
  fixedCrossover: number | undefined,
  selection: Selection,
  minPassMs: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; crossover: number; samples: CrossoverSample[] }> {
  const variantsOf = op === 'conv-block' ? convVariants : depthwiseVariants;
  const masks = selection.masks.flatMap((kind) =>
    selection.densities.map((target) => {
      const data = gateFor(p.profile, kind, target);
      return { kind, target, data, density: data.filter((v) => v > 0).length / data.length };
    }),
  );
  // Pass 1: sparse vs dense everywhere; the random-mask samples calibrate the crossover.
  const first = [];
  for (const m of fixedCrossover === undefined ? masks : []) {
    const [sparseMs, denseMs] = (await timeSideBySide(rt, variantsOf(p, m.data), reps, minPassMs)).medians;
    first.push({ ...m, sparseMs: sparseMs!, denseMs: denseMs! });
    log(`  ${op} ${m.kind} ${(m.target * 100).toFixed(0)} %: sparse ${sparseMs!.toFixed(2)} ms, dense ${denseMs!.toFixed(2)} ms`);
  }
  const samples = first.filter((f) => f.kind === 'random').map((f) => ({ density: f.density, sparseMs: f.sparseMs, denseMs: f.denseMs }));
  const crossover = fixedCrossover ?? crossoverFromSamples(samples);
  log(`  ${op} crossover ${crossover.toFixed(3)}${fixedCrossover === undefined ? ' (calibrated from this run)' : ''}`);
  // Pass 2: all three side by side, the fallback using that crossover.
  const rows: Row[] = [];
  for (const m of masks) {
    const timed = await timeSideBySide(rt, variantsOf(p, m.data, crossover), reps, minPassMs);
    const [sparseMs, denseMs, fallbackMs] = timed.medians;
    rows.push({
      batch: timed.batch,
      profile: p.profile.name,
      op,
      mask: m.kind,
      target: m.target,
      density: m.density,
      denseMs: denseMs!,
      sparseMs: sparseMs!,
      fallbackMs: fallbackMs!,
      sparseRatio: sparseMs! / denseMs!,
      fallbackRatio: fallbackMs! / denseMs!,
    });
  }
  return { rows, crossover, samples };
}

/** The exact scale path (fused) against dw → GroupNorm → mulGate; density-independent. */
async function measureScalePath(rt: GpuRuntime, p: Problem, reps: number, minPassMs: number): Promise<{ fusedMs: number; unfusedMs: number }> {
  const { scope, profile } = p;
  const { h, w, c } = profile;
  const gate: Tensor = { buffer: scope.upload(randomGate(h, w, 0.3, 7)), shape: [1, h, w, 1] };
  const dw: Tensor = { buffer: p.scratch.buffer, shape: [1, h, w, c] };
  const normed: Tensor = { buffer: scope.storage(h * w * c * 4), shape: [1, h, w, c] };
  const unfused = [
    depthwiseConv3x3Program(scope, p.input, p.dwWeights, p.dwBias, dw),
    ...groupNormPrograms(scope, dw, p.gamma, p.beta, normed, { groups: 32 }).programs,
    mulGateProgram(scope, normed, gate, p.out),
  ];
  const fused = scalePathPrograms(scope, {
    input: p.input, weights: p.dwWeights, bias: p.dwBias, gamma: p.gamma, beta: p.beta, groups: 32, gate, out: p.out, scratch: dw,
  });
  const [fusedMs, unfusedMs] = (await timeSideBySide(rt, [fused, unfused], reps, minPassMs)).medians;
  return { fusedMs: fusedMs!, unfusedMs: unfusedMs! };
}

function table(rows: readonly Row[]): string {
  const head = 'profile | op         | mask      | target | actual | batch | dense ms | sparse ms | sparse/dense | fallback ms | fallback/dense | targets';
  const lines = rows.map((r) => {
    const okSparse = r.target > 0.6 || r.sparseRatio <= r.density + 0.05;
    const okFallback = (r.fallbackRatio ?? 0) <= 1.02 && (r.target > 0.6 || (r.fallbackRatio ?? 0) <= r.density + 0.05);
    return [
      r.profile.padEnd(7),
      r.op.padEnd(10),
      r.mask.padEnd(9),
      `${(r.target * 100).toFixed(0)} %`.padStart(6),
      `${(r.density * 100).toFixed(1)} %`.padStart(6),
      String(r.batch).padStart(5),
      r.denseMs.toFixed(2).padStart(8),
      r.sparseMs.toFixed(2).padStart(9),
      r.sparseRatio.toFixed(3).padStart(12),
      (r.fallbackMs ?? Number.NaN).toFixed(2).padStart(11),
      (r.fallbackRatio ?? Number.NaN).toFixed(3).padStart(14),
      `${okSparse ? 'ok' : 'MISS'}/${okFallback ? 'ok' : 'MISS'}`,
    ].join(' | ');
  });
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function main(args: readonly string[]): Promise<number> {
  const profileArg = option(args, '--profile') ?? 'ci';
  if (!['ci', 'full', 'both'].includes(profileArg)) {
    console.error(`--profile must be ci, full or both, got ${profileArg}`);
    return 2;
  }
  const reps = Number(option(args, '--reps') ?? 5);
  // The depthwise conv is ~40× cheaper than the conv block and noisier: more rounds by default.
  const depthwiseReps = Number(option(args, '--depthwise-reps') ?? 3 * reps);
  const list = (name: string): string[] | undefined => option(args, name)?.split(',').map((v) => v.trim());
  const selection: Selection = {
    densities: list('--densities')?.map(Number) ?? DEFAULT_DENSITIES,
    masks: (list('--masks') ?? ['random', 'clustered']) as MaskKind[],
    ops: (list('--ops') ?? ['conv-block', 'depthwise']) as Op[],
  };
  if (
    selection.densities.some((d) => !(d >= 0 && d <= 1)) ||
    selection.masks.some((m) => m !== 'random' && m !== 'clustered') ||
    selection.ops.some((o) => o !== 'conv-block' && o !== 'depthwise')
  ) {
    console.error('--densities takes numbers in [0, 1], --masks random|clustered, --ops conv-block|depthwise');
    return 2;
  }
  // A timed pass lasts at least this long (short ops run several times per pass).
  const minPassMs = Number(option(args, '--min-pass-ms') ?? 20);
  const crossoverArg = option(args, '--crossover');
  const fixedCrossover = crossoverArg === undefined ? undefined : Number(crossoverArg);
  if (!Number.isInteger(reps) || reps < 1 || !Number.isInteger(depthwiseReps) || depthwiseReps < 1 || (fixedCrossover !== undefined && !Number.isFinite(fixedCrossover)) || !(minPassMs >= 0)) {
    console.error('--reps and --depthwise-reps need positive integers, --crossover a number, --min-pass-ms a number ≥ 0');
    return 2;
  }
  const profiles: Profile[] = profileArg === 'both' ? [PROFILES.ci, PROFILES.full] : [PROFILES[profileArg as ProfileName]];
  const rt = await createNodeRuntime();
  const info = rt.capabilities.adapterInfo;
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const pacing = dawnEventPacing();
  const events = pacing ? `dawn events paced (${pacing.intervalMs} ms)` : 'dawn events spinning';
  console.log(`adapter: ${adapter}; timing: ${rt.capabilities.timestampQuery ? 'GPU timestamps' : 'wall clock'}; ${events}; median of ${reps} (depthwise: ${depthwiseReps}) rounds, order rotating, passes ≥ ${minPassMs} ms`);
  const rows: Row[] = [];
  const calibration: Record<string, { crossover: number; samples: CrossoverSample[] }> = {};
  const scalePath: Record<string, { fusedMs: number; unfusedMs: number }> = {};
  try {
    for (const profile of profiles) {
      const scope = rt.scope(`bench sparse ${profile.name}`);
      try {
        const p = makeProblem(scope, profile);
        console.log(`profile ${profile.name}: ${profile.h}×${profile.w}, ${profile.c} → ${profile.c} channels`);
        for (const op of selection.ops) {
          const r = await measureOp(rt, p, op, op === 'depthwise' ? depthwiseReps : reps, fixedCrossover, selection, minPassMs, console.log);
          rows.push(...r.rows);
          calibration[`${profile.name}/${op}`] = { crossover: r.crossover, samples: r.samples };
        }
        scalePath[profile.name] = await measureScalePath(rt, p, reps, minPassMs);
      } finally {
        scope.dispose();
      }
    }
  } finally {
    rt.destroy();
  }
  console.log(`\n${table(rows)}\n`);
  for (const [name, s] of Object.entries(scalePath)) {
    console.log(`exact scale path (${name}): fused ${s.fusedMs.toFixed(2)} ms vs dw → GN → mulGate ${s.unfusedMs.toFixed(2)} ms (${(s.fusedMs / s.unfusedMs).toFixed(3)})`);
  }
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/sparse-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify({ adapter, dawnEventPacing: pacing?.intervalMs ?? null, timestampQuery: rt.capabilities.timestampQuery, repetitions: reps, depthwiseRepetitions: depthwiseReps, minPassMs, selection, rows, calibration, scalePath }, null, 2),
  );
  console.log(`wrote ${file}`);
  return 0;
}
