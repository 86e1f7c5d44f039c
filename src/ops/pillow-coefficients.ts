/**
 * Host side of Pillow's 8-bit BILINEAR resample (spec §1; Pillow `src/libImaging/Resample.c`):
 * the per-axis coefficient table, computed in IEEE double exactly as Pillow does, then turned
 * into the fixed-point integers its 8-bit passes multiply with. The GPU kernels
 * (`shaders/pillow-resize.wgsl`) and the CPU reference (`src/reference/pillow-resize.ts`) both
 * read these tables, so the arithmetic that has to match Pillow bit for bit lives in one place.
 */

/** Fractional bits of the fixed-point weights (Pillow: 32 − 8 − 2). */
export const PRECISION_BITS = 22;
/** Every accumulator starts at one half, so `acc >> PRECISION_BITS` rounds to nearest. */
export const ROUNDING_BIAS = 1 << (PRECISION_BITS - 1);

/** One axis of the resample: for each output index its source window and integer weights. */
export interface ResampleAxis {
  readonly inSize: number;
  readonly outSize: number;
  /** Weights per output index in `weights` (Pillow's ksize: 2·ceil(support) + 1). */
  readonly stride: number;
  /** First source index read by each output index. */
  readonly first: Int32Array;
  /** Number of source indices read by each output index (from `first` on). */
  readonly count: Int32Array;
  /** `outSize · stride` fixed-point weights; entries past `count` are 0. */
  readonly weights: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the triangle (BILINEAR) filter:
 * scale = in/out, filterscale = max(scale, 1) (so shrinking anti-aliases), support =
 * filterscale; output i reads [trunc(c − support + 0.5), trunc(c + support + 0.5)) ∩ [0, in)
 * with c = (i + 0.5)·scale and weights max(0, 1 − |(x − c + 0.5)/filterscale|), divided by
 * their sum, then trunc(0.5 + w·2^22).
 */
export function bilinearAxis(inSize: number, outSize: number): ResampleAxis {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new RangeError(`resample sizes must be positive integers, got ${inSize} → ${outSize}`);
  }
  // Pillow takes the box edges as C floats (in1 − in0 in float), then divides in double.
  const scale = Math.fround(Math.fround(inSize) - 0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1.0 * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const window = new Float64Array(stride);
  const inverse = 1.0 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = 0 + (i + 0.5) * scale;
    // C's (int) truncates towards zero.
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - lo;
    let sum = 0;
    for (let t = 0; t < n; t++) {
      const x = Math.abs((t + lo - center + 0.5) * inverse);
      const w = x < 1 ? 1 - x : 0;
      window[t] = w;
      sum += w;
    }
    for (let t = 0; t < n; t++) {
      const w = sum !== 0 ? window[t]! / sum : window[t]!;
      // Weights are never negative for the triangle filter: Pillow's positive branch.
      weights[i * stride + t] = Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    first[i] = lo;
    count[i] = n;
  }
  return { inSize, outSize, stride, first, count, weights };
}

/** Whether resampling this axis changes nothing (Pillow then skips the pass). */
export function isIdentityAxis(axis: ResampleAxis): boolean {
  return axis.inSize === axis.outSize;
}

/**
 * The table as the shaders read it, one u32 array: `[first, count]` per output index, then the
 * weights (`stride` per output index) starting at word 2·outSize.
 */
export function packAxis(axis: ResampleAxis): Uint32Array {
  const packed = new Uint32Array(2 * axis.outSize + axis.weights.length);
  for (let i = 0; i < axis.outSize; i++) {
    packed[2 * i] = axis.first[i]!;
    packed[2 * i + 1] = axis.count[i]!;
  }
  packed.set(axis.weights, 2 * axis.outSize);
  return packed;
}

/** Source indices [begin, end) that output indices [outBegin, outEnd) read (windows only move forward). */
export function sourceSpan(axis: ResampleAxis, outBegin: number, outEnd: number): [number, number] {
  const last = outEnd - 1;
  return [axis.first[outBegin]!, axis.first[last]! + axis.count[last]!];
}
