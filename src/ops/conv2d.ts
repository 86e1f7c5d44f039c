import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, type KernelProgram } from '../gpu/kernel';
import { levelTable, PackedLevels } from './packed-levels';
import { numel, shapeString, type Tensor } from './tensor';
import { requireInteger, requireRank, requireShape } from './validate';

/**
 * Output tile of `shaders/conv2d.wgsl`: a workgroup covers CONV2D_TILE_ROWS rows × CONV2D_TILE_COLS
 * Cout for a dense conv, and CONV2D_INDEXED_TILE_ROWS rows for one over an active-row list: a
 * sparse list rarely fills its last tile, and a 32-row tile wastes at most 31 gathered rows
 * instead of 63 (the per-row cost of both tiles is the same on the adapters measured).
 */
export const CONV2D_TILE_ROWS = 64;
export const CONV2D_INDEXED_TILE_ROWS = 32;
export const CONV2D_TILE_COLS = 64;
export type Conv2dTileRows = 32 | 64;
/** Output columns per workgroup tile: 64, or narrower for convs with few output channels. */
export type Conv2dTileCols = 16 | 32 | 64;
const TILE_COL_CHOICES: readonly Conv2dTileCols[] = [64, 32, 16];

/**
 * Output columns per thread for a tile `tileCols` wide: 8 (two quads, so each A value read from
 * workgroup memory feeds twice the FMAs: about 1.3–1.4× faster on SwiftShader, and the usual
 * register block on GPUs), or 4 for a 16-wide tile, which would otherwise have too few threads
 * to gather its A tile (conv2d.wgsl: at most 4 rows per thread).
 */
export function conv2dThreadCols(tileCols: Conv2dTileCols): 4 | 8 {
  return tileCols >= 32 ? 8 : 4;
}

/**
 * The column tile for `cout` output channels: the one with the least estimated work per row,
 * ceil(cout / T) · (T + 16). A tile's FMAs grow with its width T, and every tile gathers the same
 * A tile again, which costs about as much as 16 columns of FMAs (SwiftShader; on a GPU the
 * gather is cheaper still, so this never picks a tile a GPU would find worse by much). Cout ≥ 64
 * in steps of 64 keeps 64; the predictors (Cout 5, 6) get 16; 80 classes get 32 (3 tiles, not 2
 * mostly idle 64-wide ones).
 */
export function conv2dTileCols(cout: number): Conv2dTileCols {
  let best = TILE_COL_CHOICES[0]!;
  for (const cols of TILE_COL_CHOICES) {
    if (Math.ceil(cout / cols) * (cols + 16) < Math.ceil(cout / best) * (best + 16)) best = cols;
  }
  return best;
}

/** Binding slots of conv2d.wgsl. */
export const CONV2D_SLOTS = { params: 0, x: 1, weights: 2, bias: 3, residual: 4, lists: 5, aux: 6, out: 7, levels: 8 } as const;

export interface Conv2dArgs {
  /** NHWC [N, H, W, Cin]. */
  readonly input: Tensor;
  /** HWIO [KH, KW, Cin, Cout] = [KH·KW·Cin, Cout] row-major (see packConvWeights). */
  readonly weights: Tensor;
  /** [Cout]. */
  readonly bias?: Tensor;
  /** Added before ReLU; shaped like `out`. Must not be `out` itself. */
  readonly residual?: Tensor;
  readonly relu?: boolean;
  /** Default 1. */
  readonly stride?: number;
  /** Zero padding, the same on both sides: one number for both axes or [padY, padX]. Default 0. */
  readonly padding?: number | readonly [number, number];
  /** NHWC [N, OH, OW, Cout]. */
  readonly out: Tensor;
  /** Rows per workgroup tile; default CONV2D_TILE_ROWS. */
  readonly tileRows?: Conv2dTileRows;
  /** Output columns per workgroup tile; default CONV2D_TILE_COLS. */
  readonly tileCols?: Conv2dTileCols;
}

export interface Conv2dGeometry {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly cin: number;
  readonly kh: number;
  readonly kw: number;
  readonly cout: number;
  readonly stride: number;
  readonly padY: number;
  readonly padX: number;
  readonly outH: number;
  readonly outW: number;
}

/** Output size of a conv: floor((H + 2·pad − K) / stride) + 1 per axis. */
export function convOutputSize(inSize: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - kernel) / stride) + 1;
}

/** PyTorch OIHW [Cout, Cin, KH, KW] → HWIO [KH, KW, Cin, Cout], the layout conv2d.wgsl reads. */
export function packConvWeights(
  oihw: Float32Array,
  shape: readonly [number, number, number, number],
  /** Where to write (e.g. a reused staging array); default a new array. */
  into?: Float32Array,
): Float32Array {
  const [cout, cin, kh, kw] = shape;
  shape.forEach((d, i) => requireInteger(`shape[${i}]`, d));
  if (oihw.length !== cout * cin * kh * kw) {
    throw new InvalidArgumentError('oihw', `has ${oihw.length} values, shape ${shapeString(shape)} needs ${cout * cin * kh * kw}`);
  }
  const hwio = into ? into.subarray(0, oihw.length) : new Float32Array(oihw.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          hwio[((y * kw + x) * cin + i) * cout + o] = oihw[((o * cin + i) * kh + y) * kw + x]!;
        }
      }
    }
  }
  return hwio;
}

/** Workgroup counts for `rows` GEMM rows and `cout` output channels (also the indirect args). */
export function conv2dDispatchSize(
  rows: number,
  cout: number,
  tileRows: Conv2dTileRows = CONV2D_TILE_ROWS,
  tileCols: Conv2dTileCols = CONV2D_TILE_COLS,
): [number, number, number] {
  return [Math.ceil(cout / tileCols), Math.ceil(rows / tileRows), 1];
}

/** Checks input and weights and derives every size of the conv; throws before any GPU work. */
export function conv2dGeometry(args: Pick<Conv2dArgs, 'input' | 'weights' | 'stride' | 'padding'>): Conv2dGeometry {
  requireRank('input', args.input, 4);
  requireRank('weights', args.weights, 4);
  const [batch, inH, inW, cin] = args.input.shape as [number, number, number, number];
  const [kh, kw, wcin, cout] = args.weights.shape as [number, number, number, number];
  if (wcin !== cin) {
    throw new InvalidArgumentError('weights', `HWIO shape ${shapeString(args.weights.shape)} expects Cin = ${wcin}, input has ${cin}`);
  }
  const stride = args.stride ?? 1;
  requireInteger('stride', stride, 1);
  const pad = args.padding ?? 0;
  const [padY, padX] = typeof pad === 'number' ? [pad, pad] : pad;
  requireInteger('padding', padY, 0);
  requireInteger('padding', padX, 0);
  const outH = convOutputSize(inH, kh, stride, padY);
  const outW = convOutputSize(inW, kw, stride, padX);
  if (outH < 1 || outW < 1) {
    throw new InvalidArgumentError(
      'weights',
      `a ${kh}×${kw} kernel does not fit the ${inH}×${inW} input padded by ${padY}×${padX}`,
    );
  }
  return { batch, inH, inW, cin, kh, kw, cout, stride, padY, padX, outH, outW };
}

/** The params uniform of conv2d.wgsl: the dense geometry, then the packed head's fields (zero). */
export function conv2dParams(g: Conv2dGeometry, packed: readonly number[] = [], boxStrides: readonly number[] = []): ArrayBuffer {
  const strides = Array.from({ length: 8 }, (_, i) => boxStrides[i] ?? 1);
  const head = Array.from({ length: 6 }, (_, i) => packed[i] ?? 0);
  return new UniformWriter()
    .u32(g.batch, g.inH, g.inW, g.cin, g.outH, g.outW, g.cout, g.kh * g.kw * g.cin)
    .u32(g.kw, g.stride, g.padY, g.padX, g.batch * g.outH * g.outW)
    .u32(...head, 0)
    .f32(...strides)
    .bytes();
}

/**
 * out = relu?(conv(input, weights, stride, padding) + bias + residual) with
 * `shaders/conv2d.wgsl` (implicit GEMM) over every output pixel of an NHWC image.
 */
export function conv2dProgram(scope: BufferScope, args: Conv2dArgs): KernelProgram {
  const g = conv2dGeometry(args);
  if (args.bias) requireShape('bias', args.bias, [g.cout]);
  const outShape = [g.batch, g.outH, g.outW, g.cout];
  requireShape('out', args.out, outShape);
  if (args.residual) {
    requireShape('residual', args.residual, outShape);
    if (args.residual.buffer === args.out.buffer) {
      throw new InvalidArgumentError('residual', 'must not share its buffer with out (bind out read-only and read-write at once)');
    }
  }
  if (args.input.buffer === args.out.buffer || args.weights.buffer === args.out.buffer) {
    throw new InvalidArgumentError('out', 'must not share its buffer with input or weights');
  }
  const tileRows = args.tileRows ?? CONV2D_TILE_ROWS;
  if (tileRows !== 32 && tileRows !== 64) throw new InvalidArgumentError('tileRows', `must be 32 or 64, got ${String(tileRows)}`);
  const tileCols = args.tileCols ?? CONV2D_TILE_COLS;
  if (!TILE_COL_CHOICES.includes(tileCols)) throw new InvalidArgumentError('tileCols', `must be 16, 32 or 64, got ${String(tileCols)}`);
  const pointwise = g.kh === 1 && g.kw === 1 && g.stride === 1 && g.padY === 0 && g.padX === 0;
  const unused = (what: string) => scope.storage(16, `conv2d: no ${what}`);
  return {
    label: `conv2d ${g.kh}×${g.kw}/${g.stride} ${g.cin}→${g.cout}`,
    shader: 'conv2d',
    constants: {
      VEC4_A: g.cin % 4 === 0 ? 1 : 0,
      VEC4_B: g.cout % 4 === 0 ? 1 : 0,
      POINTWISE: pointwise ? 1 : 0,
      HAS_BIAS: args.bias ? 1 : 0,
      HAS_RESIDUAL: args.residual ? 1 : 0,
      RELU: args.relu ? 1 : 0,
      TILE_M: tileRows,
      TILE_N: tileCols,
      THREAD_COLS: conv2dThreadCols(tileCols),
    },
    bindings: bindSlots(CONV2D_SLOTS, {
      params: scope.uniform(conv2dParams(g), 'conv2d params'),
      x: args.input.buffer,
      weights: args.weights.buffer,
      bias: args.bias?.buffer ?? unused('bias'),
      residual: args.residual?.buffer ?? unused('residual'),
      lists: unused('row lists'),
      aux: unused('aux'),
      out: args.out.buffer,
      levels: unusedLevelTable(scope),
    }),
    dispatch: conv2dDispatchSize(g.batch * g.outH * g.outW, g.cout, tileRows, tileCols),
  };
}

/** A level table for programs that never read it (the dense conv references it statically). */
function unusedLevelTable(scope: BufferScope): GPUBuffer {
  return levelTable(scope, UNUSED_LEVELS);
}
const UNUSED_LEVELS = new PackedLevels([[1, 1]], 1);

/** Multiply-accumulates of a dense conv (for GFLOP/s: 2 · MACs / time). */
export function conv2dMacs(g: Conv2dGeometry): number {
  return numel([g.batch, g.outH, g.outW, g.cout]) * g.kh * g.kw * g.cin;
}
