import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireFinite, requireInteger, requireRank, requireShape } from './validate';

/**
 * Bindings for `shaders/group-norm.wgsl`: GroupNorm on NHWC tensors as statistics (two small
 * dispatches) + normalise, over all pixels or only over a chosen subset (the dynamic head's
 * masked GroupNorm, whose statistics ignore inactive pixels).
 */

/**
 * Which pixels the statistics cover and the normalisation writes.
 * - `dense`: all; input [N, H, W, C].
 * - `mask`: pixels whose `mask` [N, H, W, 1] value is > 0; input [N, H, W, C]; every other pixel
 *   of the output is written as 0.
 * - `rows`: the first count[0] rows of a compacted input [maxRows, C] (one image; `count` u32 [1]
 *   on the GPU, clamped to maxRows); output rows past the count are left untouched.
 * An empty set gives all-zero statistics (mean 0, inverse std 0), never NaN.
 */
export type GroupNormPixels =
  | { readonly mode: 'dense' }
  | { readonly mode: 'mask'; readonly mask: Tensor }
  | { readonly mode: 'rows'; readonly count: Tensor };

export interface GroupNormOptions {
  /** Number of groups G; must divide C. */
  readonly groups: number;
  /** Added to the variance (default 1e-5, PyTorch's). */
  readonly eps?: number;
  /** Apply ReLU after the affine. */
  readonly relu?: boolean;
  readonly pixels?: GroupNormPixels;
}

/** Per-(image, group) statistics: [N, G, 2] holding (mean, 1 / sqrt(var + eps)). */
export type GroupNormStats = Tensor;

const MODE = { dense: 0, mask: 1, rows: 2 } as const;
/** Elements one statistics workgroup aims to reduce (256 threads × 16). */
const ELEMENTS_PER_WORKGROUP = 4096;
const MAX_SPLIT = 256;

interface Geometry {
  batch: number;
  pixels: number;
  channels: number;
  groups: number;
  eps: number;
  pixelSet: GroupNormPixels;
}

function geometry(input: Tensor, options: GroupNormOptions): Geometry {
  const pixelSet = options.pixels ?? { mode: 'dense' };
  let batch: number, pixels: number, channels: number;
  if (pixelSet.mode === 'rows') {
    requireRank('input', input, 2);
    [pixels, channels] = input.shape as [number, number];
    batch = 1;
    requireShape('count', pixelSet.count, [1]);
  } else if (pixelSet.mode === 'dense' || pixelSet.mode === 'mask') {
    requireRank('input', input, 4);
    const [n, h, w, c] = input.shape as [number, number, number, number];
    [batch, pixels, channels] = [n, h * w, c];
    if (pixelSet.mode === 'mask') requireShape('mask', pixelSet.mask, [n, h, w, 1]);
  } else {
    throw new InvalidArgumentError('pixels', `unknown mode ${String((pixelSet as { mode: unknown }).mode)}`);
  }
  requireInteger('groups', options.groups);
  if (channels % options.groups !== 0) {
    throw new InvalidArgumentError('groups', `${options.groups} groups do not divide ${channels} channels`);
  }
  if (batch * options.groups > 65535) {
    throw new InvalidArgumentError('groups', `N·G = ${batch * options.groups} exceeds the 65535 workgroup limit`);
  }
  const eps = options.eps ?? 1e-5;
  requireFinite('eps', eps);
  if (eps < 0) throw new InvalidArgumentError('eps', `must be >= 0, got ${eps}`);
  return { batch, pixels, channels, groups: options.groups, eps, pixelSet };
}

function paramsBuffer(scope: BufferScope, g: Geometry, split: number, chunk: number): GPUBuffer {
  return scope.uniform(
    new UniformWriter()
      .u32(g.pixels, g.channels, g.groups, g.channels / g.groups, split, chunk, g.batch * g.groups)
      .f32(g.eps)
      .u32(g.batch * g.pixels * g.channels, 0, 0, 0)
      .bytes(),
    'group-norm params',
  );
}

/** The mask and count slots, or tiny stand-ins where the mode does not read them. */
function pixelSetBindings(scope: BufferScope, set: GroupNormPixels): [GPUBuffer, GPUBuffer] {
  const mask = set.mode === 'mask' ? set.mask.buffer : scope.storage(16, 'group-norm unused mask');
  const count = set.mode === 'rows' ? set.count.buffer : scope.storage(16, 'group-norm unused count');
  return [mask, count];
}

/** Statistics of `input` per (image, group): two programs (partial reductions, then merge). */
export function groupNormStatisticsPrograms(
  scope: BufferScope,
  input: Tensor,
  options: GroupNormOptions,
): { programs: KernelProgram[]; stats: GroupNormStats } {
  const g = geometry(input, options);
  const groupElements = g.pixels * (g.channels / g.groups);
  let split = Math.min(MAX_SPLIT, Math.max(1, Math.ceil(groupElements / ELEMENTS_PER_WORKGROUP)));
  const chunk = Math.ceil(g.pixels / split);
  split = Math.ceil(g.pixels / chunk);
  const params = paramsBuffer(scope, g, split, chunk);
  const partials = scope.storage(g.batch * g.groups * split * 16, 'group-norm partials');
  const stats = scope.storage(g.batch * g.groups * 8, 'group-norm stats');
  const [mask, count] = pixelSetBindings(scope, g.pixelSet);
  const constants = { PIXELS: MODE[g.pixelSet.mode] };
  return {
    programs: [
      {
        label: 'group-norm statistics',
        shader: 'group-norm',
        entryPoint: 'statistics',
        constants,
        bindings: [params, input.buffer, mask, count, partials],
        dispatch: [split, g.batch * g.groups, 1],
      },
      {
        label: 'group-norm finalize',
        shader: 'group-norm',
        entryPoint: 'finalize',
        constants,
        bindings: [params, undefined, undefined, undefined, partials, stats],
        dispatch: [Math.ceil((g.batch * g.groups) / 64), 1, 1],
      },
    ],
    stats: { buffer: stats, shape: [g.batch, g.groups, 2] },
  };
}

/**
 * out = (input − mean) · inv_std · gamma + beta (then ReLU), with `stats` from
 * groupNormStatisticsPrograms for the same input geometry and options. `out` may be `input`.
 */
export function groupNormApplyProgram(
  scope: BufferScope,
  input: Tensor,
  stats: GroupNormStats,
  gamma: Tensor,
  beta: Tensor,
  out: Tensor,
  options: GroupNormOptions,
): KernelProgram {
  const g = geometry(input, options);
  requireShape('stats', stats, [g.batch, g.groups, 2]);
  requireShape('gamma', gamma, [g.channels]);
  requireShape('beta', beta, [g.channels]);
  requireShape('out', out, input.shape);
  for (const [name, t] of [['stats', stats], ['gamma', gamma], ['beta', beta]] as const) {
    if (t.buffer === out.buffer) throw new InvalidArgumentError(name, 'cannot share the output buffer');
  }
  if (g.pixelSet.mode === 'mask' && g.pixelSet.mask.buffer === out.buffer) {
    throw new InvalidArgumentError('mask', 'cannot share the output buffer');
  }
  if (g.pixelSet.mode === 'rows' && g.pixelSet.count.buffer === out.buffer) {
    throw new InvalidArgumentError('count', 'cannot share the output buffer');
  }
  const inPlace = input.buffer === out.buffer;
  const params = paramsBuffer(scope, g, 1, g.pixels);
  const [mask, count] = pixelSetBindings(scope, g.pixelSet);
  return {
    label: 'group-norm normalize',
    shader: 'group-norm',
    entryPoint: inPlace ? 'normalize_inplace' : 'normalize',
    constants: { PIXELS: MODE[g.pixelSet.mode], RELU: options.relu ? 1 : 0 },
    bindings: [params, inPlace ? undefined : input.buffer, mask, count, undefined, stats.buffer, gamma.buffer, beta.buffer, out.buffer],
    dispatch: workgroups1D(Math.ceil(numel(input.shape) / 256)),
  };
}

/** Statistics + normalisation in order (three dispatches); `out` may be `input`. */
export function groupNormPrograms(
  scope: BufferScope,
  input: Tensor,
  gamma: Tensor,
  beta: Tensor,
  out: Tensor,
  options: GroupNormOptions,
): { programs: KernelProgram[]; stats: GroupNormStats } {
  // Validate everything the apply step checks before allocating anything for the statistics.
  const g = geometry(input, options);
  requireShape('gamma', gamma, [g.channels]);
  requireShape('beta', beta, [g.channels]);
  requireShape('out', out, input.shape);
  const { programs, stats } = groupNormStatisticsPrograms(scope, input, options);
  programs.push(groupNormApplyProgram(scope, input, stats, gamma, beta, out, options));
  return { programs, stats };
}
