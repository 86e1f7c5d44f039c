/**
 * CPU reference for `shaders/include/exact-sigmoid.wgsl`: the same integer algorithm, written with
 * BigInt (an independent spelling of the shader's 32-bit limb arithmetic). Bits in, bits out.
 * `sigmoid32` of the CPU post-processing computes the same function with Math.exp; the tests and
 * tools/exact-exp-scan.ts check that the two agree.
 */

/** floor(ln 2 · 2^96). */
export const LN2_96 = 0xb17217f7d1cf79abc9e3b398n;
const F32_INF = 0x7f800000;

/** RN(exp(v)) as float32 bits, for the float32 bits v with 2^-26 ≤ |v|, −20 < v < 89. */
export function expRnBits(v: number): number {
  const negative = v >>> 31 === 1;
  const ab = v & 0x7fffffff;
  const e = (ab >>> 23) - 127;
  const m = (ab & 0x7fffff) | 0x800000;
  if (e < -26 || e > 6) throw new RangeError(`exp argument bits 0x${v.toString(16)} out of range`);
  const a = BigInt(m) << BigInt(e + 41); // |v| · 2^64
  const s7 = 7 - e;
  const ai = s7 >= 32 ? 0 : m >>> s7; // floor(|v| · 2^16)
  const k = Math.floor((ai + 22713) / 45426);
  const kl = (BigInt(k) * LN2_96) >> 32n;
  let r = a - kl;
  const below = r < 0n;
  if (below) r = -r;
  const rho = r >> 2n;
  const minus = negative !== below;
  const one = 1n << 62n;
  let s = one;
  for (let n = 16n; n >= 1n; n--) {
    const t = ((rho * s) >> 62n) / n;
    s = minus ? one - t : one + t;
  }
  const high = s >= one;
  const drop = BigInt(high ? 39 : 38);
  let mant = s >> drop;
  const rem = s & ((1n << drop) - 1n);
  const half = 1n << (drop - 1n);
  if (rem > half || (rem === half && (mant & 1n) === 1n)) mant++;
  const biased = (high ? 0 : -1) + (negative ? -k : k) + 127;
  if (biased >= 255) return F32_INF;
  return Math.min((biased - 1) * 2 ** 23 + Number(mant), F32_INF);
}

/** RN(1 + e) for a positive normal float32 e > 2^-30 (or +inf). */
export function addOneRnBits(e: number): number {
  if (e >= F32_INF) return F32_INF;
  const ee = (e >>> 23) - 127;
  const me = (e & 0x7fffff) | 0x800000;
  if (ee >= 25) return e;
  if (ee === 24) return e + (me & 1);
  if (ee >= 0) {
    const sum = me + 2 ** (23 - ee);
    if (sum < 2 ** 24) return (ee + 126) * 2 ** 23 + sum;
    const q = Math.floor(sum / 2);
    return (ee + 127) * 2 ** 23 + q + (sum & q & 1);
  }
  const d = -ee;
  const q = Math.floor(me / 2 ** d);
  const rem = me - q * 2 ** d;
  const half = 2 ** (d - 1);
  const up = rem > half || (rem === half && (q & 1) === 1);
  return 126 * 2 ** 23 + 2 ** 23 + q + (up ? 1 : 0);
}

/** RN(1 / s) for a float32 s ≥ 1 (or +inf → 0). */
export function recipRnBits(s: number): number {
  if (s >= F32_INF) return 0;
  const es = (s >>> 23) - 127;
  const ms = (s & 0x7fffff) | 0x800000;
  if (ms === 0x800000) return es <= 126 ? (127 - es) * 2 ** 23 : 0x400000;
  const num = 1n << 49n;
  const q = Number(num / BigInt(ms));
  const r = Number(num % BigInt(ms));
  const drop = 2 + Math.max(0, es - 125);
  const kept = Math.floor(q / 2 ** drop);
  const rem = q - kept * 2 ** drop;
  const half = 2 ** (drop - 1);
  const up = rem > half || (rem === half && (r !== 0 || (kept & 1) === 1));
  const mant = kept + (up ? 1 : 0);
  return es > 125 ? mant : (125 - es) * 2 ** 23 + mant;
}

/** The float32 sigmoid of the float32 bits x, as bits (exact-sigmoid.wgsl's sigmoid_rn). */
export function exactSigmoidBits(x: number): number {
  const ax = x & 0x7fffffff;
  if (ax > F32_INF) return 0x7fc00000;
  const positive = x >>> 31 === 0;
  if (positive && ax >= 0x41a00000) return 0x3f800000;
  if (!positive && ax >= 0x42b20000) return 0;
  const e = ax >= 0x32800000 ? expRnBits((x ^ 0x80000000) >>> 0) : 0x3f800000;
  return recipRnBits(addOneRnBits(e));
}
