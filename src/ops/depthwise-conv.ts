import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { shapeString, type Tensor } from './tensor';
import { requireInteger, requireRank, requireShape } from './validate';

/**
 * Bindings for `shaders/depthwise-conv.wgsl`: 3×3 depthwise conv, stride 1, pad 1, with bias, on
 * NHWC tensors — densely, or at a GPU-side list of pixels (the dynamic head's active pixels).
 */

/** Threads per workgroup of the depthwise kernel: channel lanes × output pixels (rows). */
const DEPTHWISE_THREADS = 256;

/**
 * Channel lanes per workgroup for `channels`: 16, 32 or 64, the smallest that covers the
 * channels (vec4 quads when C % 4 == 0), so no lane idles on narrow maps.
 */
export function depthwiseLanes(channels: number): number {
  const units = channels % 4 === 0 ? channels / 4 : channels;
  return units <= 16 ? 16 : units <= 32 ? 32 : 64;
}

/** Output pixels computed per workgroup; an indirect dispatch needs ceil(count / this) groups. */
export function depthwiseRowsPerWorkgroup(channels: number): number {
  return DEPTHWISE_THREADS / depthwiseLanes(channels);
}

/**
 * Computes only the pixels listed in a GPU buffer instead of the whole image. Same fields as the
 * `indexed` variant of conv2d's ConvRows, so one description of the active pixels serves both.
 */
export interface DepthwiseRows {
  /** u32 [maxRows]: linear input pixel index (n·H + y)·W + x of each row. */
  readonly rows: Tensor;
  /** u32 [1]: number of valid rows, read on the GPU (clamped to maxRows). */
  readonly count: Tensor;
  /**
   * `scatter`: row r goes to its pixel of the NHWC output, every other pixel of `out` is left as
   * it was. `compact`: row r goes to out[r, :] (out is [maxRows, C]).
   */
  readonly placement: 'scatter' | 'compact';
  /**
   * Indirect dispatch arguments (3 × u32 at `offset` bytes): [ceil(count / R), 1, 1] with R =
   * depthwiseRowsPerWorkgroup(C), or folded as [x, y, 1] with x·y ≥ ceil(count / R) when that
   * exceeds 65535. Without it the dispatch covers maxRows.
   */
  readonly indirect?: { readonly buffer: GPUBuffer; readonly offset: number };
}

/** PyTorch's depthwise weight [C, 1, 3, 3] → the kernel's tap-major [9, C]. */
export function packDepthwiseWeights(weight: Float32Array, channels: number, into?: Float32Array): Float32Array {
  requireInteger('channels', channels);
  if (weight.length !== channels * 9) {
    throw new InvalidArgumentError('weight', `expected ${channels}×1×3×3 = ${channels * 9} values, got ${weight.length}`);
  }
  const packed = into ? into.subarray(0, 9 * channels) : new Float32Array(9 * channels);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < 9; t++) packed[t * channels + c] = weight[c * 9 + t]!;
  }
  return packed;
}

/**
 * out = depthwise3x3(input, weights) + bias. `input` [N, H, W, C]; `weights` [9, C] (see
 * packDepthwiseWeights); `bias` [C]; `out` [N, H, W, C], or [maxRows, C] with compact rows.
 */
export function depthwiseConv3x3Program(
  scope: BufferScope,
  input: Tensor,
  weights: Tensor,
  bias: Tensor,
  out: Tensor,
  rows?: DepthwiseRows,
): KernelProgram {
  requireRank('input', input, 4);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  requireShape('weights', weights, [9, c]);
  requireShape('bias', bias, [c]);
  if (rows) {
    requireRank('rows', rows.rows, 1);
    requireShape('count', rows.count, [1]);
    if (rows.placement !== 'scatter' && rows.placement !== 'compact') {
      throw new InvalidArgumentError('rows', `placement must be 'scatter' or 'compact', got ${String(rows.placement)}`);
    }
    const ind = rows.indirect;
    if (ind && (!Number.isInteger(ind.offset) || ind.offset < 0 || ind.offset % 4 !== 0 || ind.offset + 12 > ind.buffer.size)) {
      throw new InvalidArgumentError('rows', `indirect offset ${ind.offset} is unaligned or leaves no 12 bytes in the buffer`);
    }
  }
  const maxRows = rows ? rows.rows.shape[0]! : n * h * w;
  requireShape('out', out, rows?.placement === 'compact' ? [maxRows, c] : [n, h, w, c]);
  if (out.buffer === input.buffer) {
    throw new InvalidArgumentError('out', 'cannot be the input buffer (each output reads its neighbours)');
  }
  if (rows && (rows.rows.buffer === out.buffer || rows.count.buffer === out.buffer)) {
    throw new InvalidArgumentError('rows', `row list and count cannot live in the output buffer (shape ${shapeString(out.shape)})`);
  }

  const vec4 = c % 4 === 0;
  const params = scope.uniform(
    new UniformWriter().u32(h, w, vec4 ? c / 4 : c, maxRows).bytes(),
    'depthwise params',
  );
  // Dense mode never reads the row list, but the entry point references it statically.
  const unused = rows ? undefined : scope.storage(16, 'depthwise unused rows');
  return {
    label: rows ? 'depthwise3x3 (rows)' : 'depthwise3x3',
    shader: 'depthwise-conv',
    entryPoint: vec4 ? 'main_vec4' : 'main',
    constants: { INDEXED: rows ? 1 : 0, COMPACT_OUTPUT: rows?.placement === 'compact' ? 1 : 0, LANES: depthwiseLanes(c) },
    bindings: [params, input.buffer, weights.buffer, bias.buffer, out.buffer, rows?.rows.buffer ?? unused, rows?.count.buffer ?? unused],
    dispatch: rows?.indirect
      ? { indirect: rows.indirect.buffer, offset: rows.indirect.offset }
      : workgroups1D(Math.ceil(maxRows / depthwiseRowsPerWorkgroup(c))),
  };
}
