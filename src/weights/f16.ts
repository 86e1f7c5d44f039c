/**
 * IEEE half-precision conversions, written out on bits so that the converter's rounding is exactly
 * round-to-nearest-even (the same as numpy's `astype(float16)` and a GPU's f32→f16 conversion).
 */

/** Half-precision bits of one f32 value's bits (round to nearest, ties to even). */
export function f16BitsFromF32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // NaN stays NaN
  const e = exp - 112; // re-biased exponent (127 → 15)
  if (e >= 0x1f) return sign | 0x7c00; // overflow: ±infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand, then round; a carry into the
    // exponent field produces the smallest normal number, which is the correct encoding.
    if (e < -10) return sign;
    const significand = mant | 0x800000;
    const shift = 14 - e;
    const m = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rest > half || (rest === half && (m & 1) === 1) ? m + 1 : m);
  }
  const h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Adding 1 may carry into the exponent (and up to infinity): that is the rounded result.
  return rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1) ? h + 1 : h;
}

/** f32 value of half-precision bits. */
export function f32FromF16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Converts a whole f32 array to half precision bits. */
export function f32ArrayToF16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = f16BitsFromF32Bits(bits[i]);
  return dst;
}

/** A 64 Ki-entry table: decoding f16 by lookup is several times faster than by arithmetic. */
let decodeTable: Float32Array | undefined;

/** Converts half precision bits to f32 values. */
export function f16ArrayToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = f32FromF16Bits(h);
  }
  const table = decodeTable;
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}
