import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, type KernelProgram } from '../gpu/kernel';
import { quadLanes } from './quad-lanes';
import { levelTable, requirePacked, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireInteger, requireShape } from './validate';

/**
 * The two scale paths' consumed source rows of a tower: path 0 (down to the next coarser level)
 * reads every level but the last, path 1 (up) every level but the first. Their depthwise outputs
 * keep only those rows (head-depthwise.wgsl's layout).
 */
export class ScalePathRows {
  readonly lo: readonly [number, number];
  readonly hi: readonly [number, number];

  constructor(readonly levels: PackedLevels) {
    const last = levels.levels - 1;
    if (last < 1) throw new InvalidArgumentError('levels', 'the scale paths need at least two levels');
    this.lo = [0, levels.pixels(0)];
    this.hi = [levels.offsets[last]!, levels.rows];
  }

  span(path: 0 | 1): number {
    return this.hi[path] - this.lo[path];
  }

  /** Rows of the depthwise output over both paths and every tower. */
  get total(): number {
    return this.levels.towers * (this.span(0) + this.span(1));
  }

  /** Output row of path s, tower t, tower row q (which must be one of the path's source rows). */
  row(path: 0 | 1, tower: number, q: number): number {
    const base = path === 0 ? 0 : this.levels.towers * this.span(0);
    return base + tower * this.span(path) + (q - this.lo[path]);
  }

  /**
   * Work blocks of head-depthwise.wgsl over both paths and every tower: 4 consecutive pixels of
   * one image row each (DEPTHWISE_BLOCK), H_l · ceil(W_l / 4) per source level.
   */
  get blocks(): number {
    let perTower = 0;
    for (const path of [0, 1] as const) {
      for (const l of this.sourceLevels(path)) perTower += this.levels.sizes[l]![0] * Math.ceil(this.levels.sizes[l]![1] / DEPTHWISE_BLOCK);
    }
    return this.levels.towers * perTower;
  }

  /** The source levels each path reads: path 0 every level but the last, path 1 but the first. */
  sourceLevels(path: 0 | 1): number[] {
    const all = Array.from({ length: this.levels.levels }, (_, l) => l);
    return path === 0 ? all.slice(0, -1) : all.slice(1);
  }
}

/** Pixels of one image row per thread of head-depthwise.wgsl (its BLOCK). */
export const DEPTHWISE_BLOCK = 4;

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
 * Channel-quad lanes per workgroup: the smallest power of two covering C / 4, at most 64 (a lane
 * past C / 4 would only locate its block and quit: at C = 32, 16 lanes left half the threads idle).
 */
export function headDepthwiseLanes(channels: number): number {
  const quads = channels / 4;
  let lanes = 1;
  while (lanes < quads && lanes < 64) lanes *= 2;
  return lanes;
}

const SLOTS = { params: 0, levels: 1, x: 2, weights: 3, bias: 4, out: 5 } as const;

export interface HeadDepthwiseArgs {
  readonly levels: PackedLevels;
  /** Packed [T, R, C] or [1, R, C] shared by the towers. */
  readonly input: Tensor;
  /** [T, 2, 9, C] (packDepthwiseWeights per path and tower). */
  readonly weights: Tensor;
  /** [T, 2, C]. */
  readonly bias: Tensor;
  /** [ScalePathRows.total, C]. */
  readonly out: Tensor;
}

/** Both scale paths' dense depthwise convs at their source rows, every tower (head-depthwise.wgsl). */
export function headDepthwiseProgram(scope: BufferScope, args: HeadDepthwiseArgs): KernelProgram {
  const { levels } = args;
  const towers = levels.towers;
  const shared = args.input.shape[0] === 1 && towers > 1;
  const c = requirePacked('input', args.input, levels, shared ? 1 : towers);
  if (c % 4 !== 0) throw new InvalidArgumentError('input', `the head's channel count must be a multiple of 4, got ${c}`);
  const rows = new ScalePathRows(levels);
  requireShape('weights', args.weights, [towers, 2, 9, c]);
  requireShape('bias', args.bias, [towers, 2, c]);
  requireShape('out', args.out, [rows.total, c]);
  if (args.out.buffer === args.input.buffer) throw new InvalidArgumentError('out', 'cannot be the input buffer (each output reads its neighbours)');
  const split = quadLanes(headDepthwiseLanes(c), rows.blocks);
  const params = scope.uniform(
    new UniformWriter()
      .u32(c / 4, shared ? 0 : levels.rows, rows.blocks, 0)
      .u32(rows.lo[0], rows.lo[1], rows.hi[0], rows.hi[1])
      .bytes(),
    'head depthwise params',
  );
  return {
    label: `head depthwise 3×3 ×2 paths, C ${c}`,
    shader: 'head-depthwise',
    constants: split.constants,
    bindings: bindSlots(SLOTS, {
      params,
      levels: levelTable(scope, levels),
      x: args.input.buffer,
      weights: args.weights.buffer,
      bias: args.bias.buffer,
      out: args.out.buffer,
    }),
    dispatch: split.dispatch,
  };
}
