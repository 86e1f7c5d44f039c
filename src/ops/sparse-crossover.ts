import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { GpuRuntime } from '../gpu/runtime';
import { ActiveListsLayout } from './active-lists';
import { depthPartPrograms, depthPartScratch } from './depth-part';
import { PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';

/**
 * The active fraction above which a router's depth part takes the dense fallback (the head's
 * compaction compares each list's count with it, on the GPU).
 *
 * Default: on every adapter measured so far the sparse depth part costs about density × dense
 * plus a small constant (the compaction, the gathered rows' tile padding), so the two meet close
 * to 100 %; 0.9 keeps the fallback for nearly full masks. Re-measure with measureSparseCrossover.
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
  /** Map size and channels of the calibration depth part (default one 32×32 level, 2 towers, 64 → 64, 32 groups). */
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
 * Measures a router's depth part (gate, compaction, conv1, statistics, conv2, statistics,
 * epilogue) on this adapter at several densities of a spread-out mask, sparse (crossover 1) and
 * with the dense fallback (crossover 0), and returns the crossover fraction with the samples.
 */
export async function measureSparseCrossover(
  rt: GpuRuntime,
  options: CrossoverOptions = {},
): Promise<{ crossover: number; samples: CrossoverSample[] }> {
  const h = options.height ?? 32;
  const w = options.width ?? 32;
  const c = options.channels ?? 64;
  const groups = 32;
  const repetitions = options.repetitions ?? 5;
  const densities = options.densities ?? [0, 0.2, 0.4, 0.6, 0.8, 1];
  const levels = new PackedLevels([[h, w]], 2);
  const layout = new ActiveListsLayout(levels);
  const scope = rt.scope('sparse crossover');
  try {
    const y = filled(scope, [2, h * w, c], 1);
    const conv = (seed: number) => ({ weights: filled(scope, [2, 3, 3, c, c], seed), norm: filled(scope, [2, 2, c], seed + 1) });
    const shapes = depthPartScratch(levels, c, groups);
    const scratch = {
      h: filled(scope, shapes.h, 8),
      o: filled(scope, shapes.o, 9),
      affine1: filled(scope, shapes.affine1, 10),
      affine2: filled(scope, shapes.affine2, 11),
      partials1: filled(scope, shapes.partials1, 12),
      partials2: filled(scope, shapes.partials2, 13),
    };
    const lists: Tensor = { buffer: scope.storage(layout.words * 4, 'crossover lists', GPUBufferUsage.INDIRECT), shape: [layout.words] };
    const gate: Tensor = { buffer: scope.storage(levels.totalRows * 4), shape: [1, 2, h * w] };
    const [conv1, conv2] = [conv(2), conv(4)];
    const samples: CrossoverSample[] = [];
    for (const density of densities) {
      // Pixel i is active when its hashed position falls below the density: a spread-out mask,
      // written as the gate map itself (the timed programs leave the gate conv out).
      const mask = new Float32Array(levels.totalRows);
      for (let i = 0; i < mask.length; i++) mask[i] = ((Math.imul(i + 1, 2654435761) >>> 0) / 4294967296) < density ? 1 : -1;
      const part = (crossover: number) =>
        depthPartPrograms(scope, {
          levels,
          y,
          dynamic: {
            gateWeights: filled(scope, [2, 1, 9, c], 5),
            gateBias: filled(scope, [2, 1], 6),
            gate,
            activation: 'geretanh',
            tau: 1.5,
            lists,
            layout,
            crossover,
          },
          conv1,
          conv2,
          groups,
          eps: 1e-5,
          scratch,
        }).slice(1);
      const sparse = part(1);
      const dense = part(0);
      const setMask = () => rt.write(gate.buffer, mask);
      setMask();
      await rt.run([sparse]); // compiles and warms up
      await rt.run([dense]);
      const sparseMs: number[] = [];
      const denseMs: number[] = [];
      // Interleaved, so a burst of load on a shared machine hits both paths alike.
      for (let r = 0; r < repetitions; r++) {
        setMask();
        sparseMs.push(await timePassMs(rt, sparse));
        setMask();
        denseMs.push(await timePassMs(rt, dense));
      }
      samples.push({ density, sparseMs: median(sparseMs), denseMs: median(denseMs) });
    }
    return { crossover: crossoverFromSamples(samples), samples };
  } finally {
    scope.dispose();
  }
}
