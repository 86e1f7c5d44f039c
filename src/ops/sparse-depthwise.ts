import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import { compactPrograms, type ActiveSet, type CompactOptions } from './compact';
import { depthwiseConv3x3Program, depthwiseRowsPerWorkgroup } from './depthwise-conv';
import { sparseLimitFor } from './dispatch-args';
import { foldedAffineBuffer, maskedGroupStatsPrograms } from './masked-group-stats';
import { sparseEpilogueProgram } from './sparse-conv';
import { numel, type Tensor } from './tensor';
import { requireRank, requireShape } from './validate';

/**
 * The dynamic head's scale paths (spec §4.2, DynamicScale): depthwise 3×3 (+ bias) → GroupNorm →
 * × spatial gate.
 *
 * Why the exact scale path stays dense. Officially the depthwise conv and its GroupNorm run
 * densely and only then is the result multiplied by the gate, so the statistics cover every
 * pixel's depthwise output, active or not. Computing the conv only where the gate is on would
 * change those statistics (and hence every active output). Getting them without the inactive
 * outputs is no cheaper: the mean is linear in the input, but the variance needs per-channel
 * products of input pixels at every pair of the 9 taps (≈ 45 sums per element, with border
 * cases) against 9 multiply-adds for the conv itself. So `scalePathPrograms` computes exactly
 * what the official model does: the dense depthwise conv, dense statistics, and one fused pass
 * normalise · gate (the gate's sparsity only saves nothing but a separate multiply pass).
 *
 * `sparseDepthwisePrograms` is the gate-restricted depthwise conv itself (indexed rows, indirect
 * dispatch, optional dense fallback). It is exact for the conv values at active pixels and is
 * what a consumer that only reads active pixels can use; it is NOT a drop-in for the official
 * scale path, for the statistics reason above.
 */

export interface ScalePathArgs {
  /** NHWC [1, H, W, C]. */
  readonly input: Tensor;
  /** [9, C] (packDepthwiseWeights) and [C]. */
  readonly weights: Tensor;
  readonly bias: Tensor;
  /** [C] GroupNorm affine. */
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly groups: number;
  readonly eps?: number;
  /** [1, H, W, 1]: the path's spatial gate. */
  readonly gate: Tensor;
  /** [1, H, W, C] ← GroupNorm(dw(input)) · gate (0 where the gate is 0). */
  readonly out: Tensor;
  /** Optional workspace [1, H, W, C] for the depthwise result. */
  readonly scratch?: Tensor;
}

/** The exact scale path: dense dw → dense GroupNorm statistics → fused normalise · gate. */
export function scalePathPrograms(scope: BufferScope, args: ScalePathArgs): KernelProgram[] {
  requireRank('input', args.input, 4);
  const [n, h, w, c] = args.input.shape as [number, number, number, number];
  if (n !== 1) throw new InvalidArgumentError('input', `one image at a time, got N = ${n}`);
  requireShape('out', args.out, [1, h, w, c]);
  requireShape('gate', args.gate, [1, h, w, 1]);
  const dw = args.scratch ?? { buffer: scope.storage(h * w * c * 4, 'scale path depthwise'), shape: [1, h, w, c] };
  requireShape('scratch', dw, [1, h, w, c]);
  for (const [name, t] of [['out', args.out], ['input', args.input]] as const) {
    if (t.buffer === dw.buffer) throw new InvalidArgumentError(name, 'cannot share the depthwise scratch buffer');
  }
  const affine = foldedAffineBuffer(scope, c);
  const fold = { gamma: args.gamma, beta: args.beta, affine };
  const stats = maskedGroupStatsPrograms(scope, dw, { groups: args.groups, eps: args.eps, pixels: { mode: 'all' }, fold });
  return [
    depthwiseConv3x3Program(scope, args.input, args.weights, args.bias, dw),
    ...stats.programs,
    sparseEpilogueProgram(scope, { conv: dw, pixels: h * w, channels: c, affine, epilogue: { kind: 'gated', gate: args.gate }, out: args.out }),
  ];
}

export interface SparseDepthwiseArgs {
  /** NHWC [N, H, W, C]. */
  readonly input: Tensor;
  readonly weights: Tensor;
  readonly bias: Tensor;
  /** [N, H, W, 1]: the pixels to compute (active where > 0). */
  readonly mask: Tensor;
  /**
   * NHWC [N, H, W, C]: active pixels are written; the others are left as they were (or written
   * with the dense result when the fallback runs dense).
   */
  readonly out: Tensor;
  /** Above this active fraction every pixel is computed instead (the dense fallback). */
  readonly crossover?: number;
  /** Compaction settings and buffers (tests; a memory plan). */
  readonly compact?: Pick<CompactOptions, 'multiBlock' | 'singleThreads' | 'rows' | 'count'>;
}

/**
 * depthwise 3×3 at the active pixels only: the compaction lists them and, in the same dispatch,
 * writes the indirect arguments (ceil(count / rows per workgroup) workgroups; with a crossover,
 * either those or the dense kernel's, never both), so the op is one compaction + one or two
 * indirect dispatches with no arguments dispatch of its own. On SwiftShader (CI size, 32×32×64,
 * timing batched) an empty mask costs 0.05 ms against 3.0 ms for the dense conv. Earlier
 * compaction-free designs measured slower there: the dense kernel testing each pixel's mask
 * (every workgroup still starts) and a workgroup-local list (atomics + barrier).
 */
export function sparseDepthwisePrograms(
  scope: BufferScope,
  args: SparseDepthwiseArgs,
): { programs: KernelProgram[]; active: ActiveSet; sparseLimit: number } {
  requireRank('input', args.input, 4);
  const [n, h, w, c] = args.input.shape as [number, number, number, number];
  requireShape('mask', args.mask, [n, h, w, 1]);
  const pixels = n * h * w;
  const fallback = args.crossover !== undefined;
  const sparseLimit = fallback ? sparseLimitFor(args.crossover!, pixels) : pixels;
  const compaction = compactPrograms(scope, args.mask, {
    ...args.compact,
    indexMap: false,
    dispatch: { rowsPerWorkgroup: depthwiseRowsPerWorkgroup(c), sparseLimit: fallback ? sparseLimit : undefined },
  });
  const dispatch = compaction.dispatch!;
  const programs = [
    ...compaction.programs,
    depthwiseConv3x3Program(scope, args.input, args.weights, args.bias, args.out, {
      rows: compaction.active.rows,
      count: compaction.active.count,
      placement: 'scatter',
      indirect: { buffer: dispatch.sparse.indirect, offset: dispatch.sparse.offset },
    }),
  ];
  // The dense kernel itself, not the indexed one told to cover every pixel: the indexed kernel's
  // per-pixel row lookup and count test cost ≈ 4 % on SwiftShader even with every pixel active.
  if (dispatch.dense) programs.push({ ...depthwiseConv3x3Program(scope, args.input, args.weights, args.bias, args.out), dispatch: dispatch.dense });
  return { programs, active: compaction.active, sparseLimit };
}
