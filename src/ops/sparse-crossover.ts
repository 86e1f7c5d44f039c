import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { GpuRuntime } from '../gpu/runtime';
import { compactPrograms } from './compact';
import { sparseConvBlockPrograms } from './sparse-conv';
import type { Tensor } from './tensor';

/**
 * The density above which the dense-masked conv block beats the sparse one, i.e. the crossover
 * the `auto` strategy of sparseConvBlockPrograms compares the active count with.
 *
 * Default: on every adapter measured so far the sparse block costs about density × dense plus a
 * small constant (compaction, dispatch args, a dense epilogue pass), so the two meet close to
 * 100 %; 0.9 keeps the fallback for nearly full masks, where the sparse path only adds the
 * compaction and the gathered rows' tile padding. Re-measure with measureSparseCrossover.
 */
export const DEFAULT_SPARSE_CROSSOVER = 0.9;

/**
 * The calibration table: the crossover to use without measuring, by kind of adapter. Software
 * adapters: 0.95, measured on SwiftShader 5.0.0 (2-core box, 2026-11-25) by `npm run bench:sparse`
 * for the conv block at 32×32×64 (three runs) and 64×64×256 (two runs), every run at the cap
 * below. Hardware adapters: the default, not yet measured on a GPU (`crossover: 'measure'` does).
 */
export const SPARSE_CROSSOVER_TABLE = { software: 0.95, hardware: DEFAULT_SPARSE_CROSSOVER } as const;

/** The tabulated crossover for this adapter. */
export function tabulatedSparseCrossover(capabilities: { readonly softwareAdapter: boolean }): number {
  return capabilities.softwareAdapter ? SPARSE_CROSSOVER_TABLE.software : SPARSE_CROSSOVER_TABLE.hardware;
}

/** How an engine picks its crossover: a number, the calibration table, or a measurement at load. */
export type CrossoverChoice = number | 'table' | 'measure';

/** Resolves a CrossoverChoice on `rt` ('measure' takes ~2 s on SwiftShader, milliseconds on a GPU). */
export async function resolveSparseCrossover(rt: GpuRuntime, choice: CrossoverChoice = 'table'): Promise<number> {
  if (typeof choice === 'number') {
    if (!(choice >= 0 && choice <= 1)) throw new InvalidArgumentError('crossover', `expected a fraction in [0, 1], 'table' or 'measure', got ${choice}`);
    return choice;
  }
  if (choice === 'table') return tabulatedSparseCrossover(rt.capabilities);
  if (choice === 'measure') return (await measureSparseCrossover(rt)).crossover;
  throw new InvalidArgumentError('crossover', `expected a fraction in [0, 1], 'table' or 'measure', got ${String(choice)}`);
}

/**
 * The calibrated crossover never exceeds this: at a full mask the sparse block does the dense
 * work plus the compaction, so any measured "win" there is noise; leave nearly full masks dense.
 */
export const MAX_SPARSE_CROSSOVER = 0.95;

/** One measured density: median GPU (or wall) milliseconds of each path. */
export interface CrossoverSample {
  readonly density: number;
  readonly sparseMs: number;
  readonly denseMs: number;
}

/**
 * The density where sparse stops being cheaper. Fits sparse time as a + b · density (least
 * squares) and takes dense time as its median (it does not depend on the mask), so one noisy
 * sample on a busy machine cannot move the answer much; clamped to [0, MAX_SPARSE_CROSSOVER].
 */
export function crossoverFromSamples(samples: readonly CrossoverSample[]): number {
  const valid = samples.filter((s) => Number.isFinite(s.sparseMs) && Number.isFinite(s.denseMs) && Number.isFinite(s.density));
  if (valid.length === 0) throw new InvalidArgumentError('samples', 'need at least one finite sample');
  const dense = median(valid.map((s) => s.denseMs));
  const n = valid.length;
  const mx = valid.reduce((a, s) => a + s.density, 0) / n;
  const my = valid.reduce((a, s) => a + s.sparseMs, 0) / n;
  const sxx = valid.reduce((a, s) => a + (s.density - mx) ** 2, 0);
  const sxy = valid.reduce((a, s) => a + (s.density - mx) * (s.sparseMs - my), 0);
  // One density (or all equal): no slope to fit; sparse is either cheaper there or not.
  if (sxx === 0 || sxy <= 0) return my < dense ? MAX_SPARSE_CROSSOVER : 0;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const crossing = (dense - intercept) / slope;
  return Math.max(0, Math.min(MAX_SPARSE_CROSSOVER, crossing));
}

export interface CrossoverOptions {
  /** Map size and channels of the calibration block (default 32×32, 64 → 64, 32 groups). */
  readonly height?: number;
  readonly width?: number;
  readonly channels?: number;
  /** Densities to measure (default 0, 0.2, … 1). */
  readonly densities?: readonly number[];
  /** Timed runs per path and density; the median is used (default 5). */
  readonly repetitions?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Small deterministic values (an LCG): the timings only need finite, non-denormal data. */
function filled(scope: BufferScope, shape: readonly number[], seed: number): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * 0.2;
  }
  return { buffer: scope.upload(data), shape };
}

/** Total time of `programs` run once as one timed pass (GPU timestamps when available). */
export async function timePassMs(rt: GpuRuntime, programs: readonly KernelProgram[]): Promise<number> {
  const t = await rt.run([programs], { timed: true });
  return t?.total ?? Number.NaN;
}

/**
 * Measures the sparse and the dense conv block on this adapter at several densities of a random
 * mask and returns the crossover fraction (with the samples it came from).
 */
export async function measureSparseCrossover(
  rt: GpuRuntime,
  options: CrossoverOptions = {},
): Promise<{ crossover: number; samples: CrossoverSample[] }> {
  const h = options.height ?? 32;
  const w = options.width ?? 32;
  const c = options.channels ?? 64;
  const repetitions = options.repetitions ?? 5;
  const densities = options.densities ?? [0, 0.2, 0.4, 0.6, 0.8, 1];
  const scope = rt.scope('sparse crossover');
  try {
    const input = filled(scope, [1, h, w, c], 1);
    const weights = filled(scope, [3, 3, c, c], 2);
    const gamma = filled(scope, [c], 3);
    const beta = filled(scope, [c], 4);
    const out: Tensor = { buffer: scope.storage(h * w * c * 4), shape: [1, h, w, c] };
    const samples: CrossoverSample[] = [];
    for (const density of densities) {
      // Pixel i is active when its hashed position falls below the density: a spread-out mask.
      const maskData = new Float32Array(h * w);
      for (let i = 0; i < maskData.length; i++) maskData[i] = ((Math.imul(i + 1, 2654435761) >>> 0) / 4294967296) < density ? 1 : 0;
      const mask: Tensor = { buffer: scope.upload(maskData), shape: [1, h, w, 1] };
      const { programs: compact, active } = compactPrograms(scope, mask);
      const block = (strategy: Parameters<typeof sparseConvBlockPrograms>[1]['strategy']) =>
        sparseConvBlockPrograms(scope, { input, weights, gamma, beta, groups: 32, strategy, epilogue: { kind: 'relu' }, out }).programs;
      const sparse = [...compact, ...block({ mode: 'sparse', active })];
      const dense = block({ mode: 'dense', mask });
      await rt.run([sparse]); // compiles and warms up
      await rt.run([dense]);
      const sparseMs: number[] = [];
      const denseMs: number[] = [];
      // Interleaved, so a burst of load on a shared machine hits both paths alike.
      for (let r = 0; r < repetitions; r++) {
        sparseMs.push(await timePassMs(rt, sparse));
        denseMs.push(await timePassMs(rt, dense));
      }
      samples.push({ density, sparseMs: median(sparseMs), denseMs: median(denseMs) });
    }
    return { crossover: crossoverFromSamples(samples), samples };
  } finally {
    scope.dispose();
  }
}
