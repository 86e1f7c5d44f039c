import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, type KernelProgram } from '../gpu/kernel';
import type { Tensor } from './tensor';
import { requireFinite, requireInteger, requireRank, requireShape } from './validate';

/**
 * Bindings for `shaders/masked-group-stats.wgsl`: GroupNorm statistics of one image over its
 * active pixels only (the official masked GroupNorm), either from compact rows (sparse path,
 * work proportional to the active count through an indirect dispatch) or from a dense map and
 * its mask (dense-masked path). Both give [G, 2] (mean, inv_std), the layout of
 * GroupNormStats for N = 1.
 */
export type MaskedPixels =
  /** Rows [0, count[0]) of a compact [maxRows, C] input. */
  | { readonly mode: 'rows'; readonly count: Tensor }
  /** Pixels with mask > 0 of a dense [1, H, W, C] input; mask [1, H, W, 1]. */
  | { readonly mode: 'mask'; readonly mask: Tensor }
  /** Every pixel of a dense [1, H, W, C] input (plain GroupNorm statistics). */
  | { readonly mode: 'all' };

/**
 * GroupNorm's affine to fold into the statistics (finalize_fold): gamma, beta [C] and the
 * buffer of C + 1 vec4 the normalise pass reads (allocate it with foldedAffineBuffer).
 */
export interface StatsFold {
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly affine: GPUBuffer;
}

/** The per-channel (mean, inv_std · gamma, beta) buffer finalize_fold writes for C channels. */
export function foldedAffineBuffer(scope: BufferScope, channels: number): GPUBuffer {
  return scope.storage((channels + 1) * 16, 'group norm folded affine');
}

export interface MaskedGroupStats {
  /** partial, then finalize. */
  readonly programs: [KernelProgram, KernelProgram];
  /** [G, 2]: (mean, 1 / sqrt(var + eps)). */
  readonly stats: Tensor;
  /** Rows per chunk: the partial dispatch is (ceil(G / 64), ceil(rows / chunkRows), 1). */
  readonly chunkRows: number;
  /** x of the partial dispatch (its y follows the row count). */
  readonly groupTiles: number;
}

/** Rows one thread reduces: enough for ≤ 65535 chunks, at least 16 so each thread has work. */
export function maskedStatsChunkRows(rows: number): number {
  return Math.max(16, Math.ceil(rows / 65535));
}

export function maskedGroupStatsPrograms(
  scope: BufferScope,
  input: Tensor,
  options: { readonly groups: number; readonly eps?: number; readonly pixels: MaskedPixels; readonly fold?: StatsFold },
): MaskedGroupStats {
  const set = options.pixels;
  let rows: number, channels: number;
  if (set.mode === 'rows') {
    requireRank('input', input, 2);
    [rows, channels] = input.shape as [number, number];
    requireShape('count', set.count, [1]);
  } else if (set.mode === 'mask' || set.mode === 'all') {
    requireRank('input', input, 4);
    const [n, h, w, c] = input.shape as [number, number, number, number];
    if (n !== 1) throw new InvalidArgumentError('input', `one image at a time, got N = ${n}`);
    if (set.mode === 'mask') requireShape('mask', set.mask, [1, h, w, 1]);
    [rows, channels] = [h * w, c];
  } else {
    throw new InvalidArgumentError('pixels', `unknown mode ${String((set as { mode: unknown }).mode)}`);
  }
  requireInteger('groups', options.groups);
  if (channels % options.groups !== 0) {
    throw new InvalidArgumentError('groups', `${options.groups} groups do not divide ${channels} channels`);
  }
  const fold = options.fold;
  if (fold) {
    requireShape('gamma', fold.gamma, [channels]);
    requireShape('beta', fold.beta, [channels]);
    if (fold.affine.size < (channels + 1) * 16) throw new InvalidArgumentError('affine', `needs ${(channels + 1) * 16} bytes, has ${fold.affine.size}`);
  }
  const eps = options.eps ?? 1e-5;
  requireFinite('eps', eps);
  if (eps < 0) throw new InvalidArgumentError('eps', `must be >= 0, got ${eps}`);
  const groups = options.groups;
  const chunkRows = maskedStatsChunkRows(rows);
  const chunks = Math.ceil(rows / chunkRows);
  const groupTiles = Math.ceil(groups / 64);
  const params = scope.uniform(
    new UniformWriter().u32(rows, channels, groups, channels / groups, chunkRows).f32(eps).u32(0, 0).bytes(),
    'masked group stats params',
  );
  const partials = scope.storage(chunks * groups * 16, 'masked group stats partials');
  const stats: Tensor = { buffer: scope.storage(groups * 8, 'masked group stats'), shape: [groups, 2] };
  const mask = set.mode === 'mask' ? set.mask.buffer : scope.storage(16, 'masked stats: no mask');
  const count = set.mode === 'rows' ? set.count.buffer : scope.storage(16, 'masked stats: no count');
  const constants = { MODE: { rows: 0, mask: 1, all: 2 }[set.mode] };
  return {
    programs: [
      {
        label: `masked group stats partial (${set.mode})`,
        shader: 'masked-group-stats',
        entryPoint: 'partial',
        constants,
        bindings: [params, input.buffer, mask, count, partials],
        // ROWS callers normally replace this with an indirect dispatch sized from the count.
        dispatch: [groupTiles, chunks, 1],
      },
      {
        label: `masked group stats finalize (${set.mode})`,
        shader: 'masked-group-stats',
        entryPoint: fold ? 'finalize_fold' : 'finalize',
        constants,
        bindings: [params, undefined, undefined, count, partials, stats.buffer, fold?.gamma.buffer, fold?.beta.buffer, fold?.affine],
        dispatch: [groupTiles, 1, 1],
      },
    ],
    stats,
    chunkRows,
    groupTiles,
  };
}
