/**
 * Sparse head benchmark: time(sparse) / time(dense-masked) of a router's depth part over the
 * packed head (compaction → conv1 at the dilated rows → statistics → conv2 at the gate rows with
 * GroupNorm + ReLU on load → statistics → ReLU(o·g + y), both towers), at densities 0 … 100 % of
 * random and clustered gate maps, with and without the dense fallback, all measured side by side
 * in one run (GPU timestamps when the adapter has them; median of N).
 *   npm run bench:sparse [-- --profile ci|full|both] [--reps N] [--crossover F] [--min-pass-ms M]
 *                        [--densities 0,0.1,...] [--masks random,clustered]
 * `ci`: 64 channels at 32×32; `full`: 256 channels at 64×64 (one level, two towers; a dense pass
 * takes seconds on SwiftShader: narrow it there with --densities / --masks / --reps).
 * Both include the compaction; the dense-masked variant is the same programs with every list
 * taking the dense fallback (crossover 0), as the engine's dense-masked execution runs them.
 * The fallback's crossover is calibrated from the same run's sparse/dense samples of random
 * masks (crossoverFromSamples) unless --crossover is given, which also skips that first pass.
 * JSON goes to bench-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { BufferScope } from '../src/gpu/buffers';
import type { KernelProgram } from '../src/gpu/kernel';
import { createNodeRuntime, dawnEventPacing } from '../src/gpu/node-gpu';
import type { GpuRuntime } from '../src/gpu/runtime';
import { ActiveListsLayout } from '../src/ops/active-lists';
import { depthPartPrograms, depthPartScratch } from '../src/ops/depth-part';
import { PackedLevels } from '../src/ops/packed-levels';
import { crossoverFromSamples, timePassMs, type CrossoverSample } from '../src/ops/sparse-crossover';
import type { Tensor } from '../src/ops/tensor';
import { clusteredGate, randomGate } from '../tests/harness/masks';

type ProfileName = 'ci' | 'full';
type MaskKind = 'random' | 'clustered';

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
}

interface Row {
  readonly profile: ProfileName;
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

/** One router's depth part on a packed [2 towers × h × w × c] problem; the gate map is written per mask. */
interface Problem {
  readonly scope: BufferScope;
  readonly profile: Profile;
  readonly levels: PackedLevels;
  readonly gate: Tensor;
  variants(crossovers: readonly number[]): KernelProgram[][];
}

function makeProblem(scope: BufferScope, profile: Profile): Problem {
  const { h, w, c } = profile;
  const levels = new PackedLevels([[h, w]], 2);
  const layout = new ActiveListsLayout(levels);
  const shapes = depthPartScratch(levels, c, 32);
  const scratch = Object.fromEntries(Object.entries(shapes).map(([k, shape], i) => [k, filled(scope, shape, 20 + i)])) as Record<keyof typeof shapes, Tensor>;
  const y = filled(scope, [2, h * w, c], 1, 2);
  const gate: Tensor = { buffer: scope.storage(levels.totalRows * 4, 'bench gate'), shape: [1, 2, h * w] };
  const lists: Tensor = { buffer: scope.storage(layout.words * 4, 'bench lists', GPUBufferUsage.INDIRECT), shape: [layout.words] };
  const conv = (seed: number) => ({ weights: filled(scope, [2, 3, 3, c, c], seed), norm: filled(scope, [2, 2, c], seed + 1) });
  const [conv1, conv2] = [conv(2), conv(4)];
  const dynamic = { gateWeights: filled(scope, [2, 1, 9, c], 6), gateBias: filled(scope, [2, 1], 7), gate, activation: 'geretanh' as const, tau: 1.5, lists, layout };
  // The gate conv itself (program 0) is left out: each mask is written as the gate map.
  const part = (crossover: number) =>
    depthPartPrograms(scope, { levels, y, dynamic: { ...dynamic, crossover }, conv1, conv2, groups: 32, eps: 1e-5, scratch }).slice(1);
  return { scope, profile, levels, gate, variants: (crossovers) => crossovers.map(part) };
}

/** One gate map per tower (two seeds), packed. */
function gateFor(p: Problem, kind: MaskKind, density: number): Float32Array {
  const { h, w } = p.profile;
  const seed = 1000 + Math.round(density * 100);
  const make = kind === 'random' ? randomGate : clusteredGate;
  const out = new Float32Array(p.levels.totalRows);
  out.set(make(h, w, density, seed), 0);
  out.set(make(h, w, density, seed + 1), h * w);
  return out;
}

async function measure(
  rt: GpuRuntime,
  p: Problem,
  reps: number,
  fixedCrossover: number | undefined,
  selection: Selection,
  minPassMs: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; crossover: number; samples: CrossoverSample[] }> {
  const masks = selection.masks.flatMap((kind) =>
    selection.densities.map((target) => {
      const data = gateFor(p, kind, target);
      return { kind, target, data, density: data.filter((v) => v > 0).length / data.length };
    }),
  );
  // Pass 1: sparse vs dense everywhere; the random-mask samples calibrate the crossover.
  const first = [];
  for (const m of fixedCrossover === undefined ? masks : []) {
    rt.write(p.gate.buffer, m.data);
    const [sparseMs, denseMs] = (await timeSideBySide(rt, p.variants([1, 0]), reps, minPassMs)).medians;
    first.push({ ...m, sparseMs: sparseMs!, denseMs: denseMs! });
    log(`  ${m.kind} ${(m.target * 100).toFixed(0)} %: sparse ${sparseMs!.toFixed(2)} ms, dense ${denseMs!.toFixed(2)} ms`);
  }
  const samples = first.filter((f) => f.kind === 'random').map((f) => ({ density: f.density, sparseMs: f.sparseMs, denseMs: f.denseMs }));
  const crossover = fixedCrossover ?? crossoverFromSamples(samples);
  log(`  crossover ${crossover.toFixed(3)}${fixedCrossover === undefined ? ' (calibrated from this run)' : ''}`);
  // Pass 2: all three side by side, the fallback using that crossover.
  const rows: Row[] = [];
  for (const m of masks) {
    rt.write(p.gate.buffer, m.data);
    const timed = await timeSideBySide(rt, p.variants([1, 0, crossover]), reps, minPassMs);
    const [sparseMs, denseMs, fallbackMs] = timed.medians;
    rows.push({
      batch: timed.batch,
      profile: p.profile.name,
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

function table(rows: readonly Row[]): string {
  const head = 'profile | mask      | target | actual | batch | dense ms | sparse ms | sparse/dense | fallback ms | fallback/dense | targets';
  const lines = rows.map((r) => {
    const okSparse = r.target > 0.6 || r.sparseRatio <= r.density + 0.05;
    const okFallback = (r.fallbackRatio ?? 0) <= 1.02 && (r.target > 0.6 || (r.fallbackRatio ?? 0) <= r.density + 0.05);
    return [
      r.profile.padEnd(7),
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
  const list = (name: string): string[] | undefined => option(args, name)?.split(',').map((v) => v.trim());
  const selection: Selection = {
    densities: list('--densities')?.map(Number) ?? DEFAULT_DENSITIES,
    masks: (list('--masks') ?? ['random', 'clustered']) as MaskKind[],
  };
  if (selection.densities.some((d) => !(d >= 0 && d <= 1)) || selection.masks.some((m) => m !== 'random' && m !== 'clustered')) {
    console.error('--densities takes numbers in [0, 1], --masks random|clustered');
    return 2;
  }
  // A timed pass lasts at least this long (short ops run several times per pass).
  const minPassMs = Number(option(args, '--min-pass-ms') ?? 20);
  const crossoverArg = option(args, '--crossover');
  const fixedCrossover = crossoverArg === undefined ? undefined : Number(crossoverArg);
  if (!Number.isInteger(reps) || reps < 1 || (fixedCrossover !== undefined && !Number.isFinite(fixedCrossover)) || !(minPassMs >= 0)) {
    console.error('--reps needs a positive integer, --crossover a number, --min-pass-ms a number ≥ 0');
    return 2;
  }
  const profiles: Profile[] = profileArg === 'both' ? [PROFILES.ci, PROFILES.full] : [PROFILES[profileArg as ProfileName]];
  const rt = await createNodeRuntime();
  const info = rt.capabilities.adapterInfo;
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const pacing = dawnEventPacing();
  const events = pacing ? `dawn events paced (${pacing.intervalMs} ms)` : 'dawn events spinning';
  console.log(`adapter: ${adapter}; timing: ${rt.capabilities.timestampQuery ? 'GPU timestamps' : 'wall clock'}; ${events}; median of ${reps} rounds, order rotating, passes ≥ ${minPassMs} ms`);
  const rows: Row[] = [];
  const calibration: Record<string, { crossover: number; samples: CrossoverSample[] }> = {};
  try {
    for (const profile of profiles) {
      const scope = rt.scope(`bench sparse ${profile.name}`);
      try {
        const p = makeProblem(scope, profile);
        console.log(`profile ${profile.name}: 2 towers × ${profile.h}×${profile.w}, ${profile.c} → ${profile.c} channels`);
        const r = await measure(rt, p, reps, fixedCrossover, selection, minPassMs, console.log);
        rows.push(...r.rows);
        calibration[profile.name] = { crossover: r.crossover, samples: r.samples };
      } finally {
        scope.dispose();
      }
    }
  } finally {
    rt.destroy();
  }
  console.log(`\n${table(rows)}\n`);
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/sparse-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify({ adapter, dawnEventPacing: pacing?.intervalMs ?? null, timestampQuery: rt.capabilities.timestampQuery, repetitions: reps, minPassMs, selection, rows, calibration }, null, 2),
  );
  console.log(`wrote ${file}`);
  return 0;
}
