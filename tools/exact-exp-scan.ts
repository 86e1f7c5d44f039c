/**
 * Checks, for every float32 v with 2^-26 ≤ |v|, −20 < v < 89 (the range where
 * shaders/include/exact-sigmoid.wgsl evaluates exp), that the shader's integer exp (its BigInt
 * spelling, src/reference/exact-sigmoid.ts) and the CPU post-processing's
 * Math.fround(Math.exp(v)) both give the correctly rounded float32 exp:
 *   node scripts/run-ts.mjs tools/exact-exp-scan.ts            (about a minute)
 * A float64 pass flags every v whose exp lies within 2^-24 of a float32 ulp (2^-48 relative) of
 * a rounding midpoint; each flagged v is decided by a 256-bit evaluation. Elsewhere both are
 * right by their error bounds: the integer algorithm's < 2^-59 relative, Math.exp's < 1 ulp of
 * float64 (2^-52), both far below the distance to the midpoint.
 */
import { expRnBits } from '../src/reference/exact-sigmoid';

const PRECISION = 256n;

/** ln 2 · 2^bits (2 atanh(1/3)). */
function ln2Fixed(bits: bigint): bigint {
  const guard = bits + 20n;
  let sum = 0n;
  let power = (1n << guard) / 3n;
  for (let n = 0n; power > 0n; n++) {
    sum += power / (2n * n + 1n);
    power /= 9n;
  }
  return (2n * sum) >> 20n;
}

const LN2 = ln2Fixed(PRECISION);

/** The correctly rounded float32 exp of the float32 bits v (normal results), by a 256-bit evaluation. */
function exactExpBits(v: number): number {
  const negative = v >>> 31 === 1;
  const ab = v & 0x7fffffff;
  const e = (ab >>> 23) - 127;
  const m = BigInt((ab & 0x7fffff) | 0x800000);
  let a = m << PRECISION;
  a = e - 23 >= 0 ? a << BigInt(e - 23) : a >> BigInt(23 - e);
  let k = (a + LN2 / 2n) / LN2;
  let r = a - k * LN2;
  if (negative) {
    k = -k;
    r = -r;
  }
  let sum = 0n;
  let term = 1n << PRECISION;
  for (let n = 1n; term !== 0n; n++) {
    sum += term;
    term = (term * r) >> PRECISION;
    term /= n;
  }
  const lead = sum.toString(2).length - 1;
  const drop = BigInt(lead - 23);
  let mant = sum >> drop;
  const rem = sum & ((1n << drop) - 1n);
  const half = 1n << (drop - 1n);
  if (rem > half || (rem === half && (mant & 1n) === 1n)) mant++;
  const expo = lead - Number(PRECISION) + Number(k);
  return (expo + 126) * 2 ** 23 + Number(mant);
}

export function main(): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const bitsOf = (x: number) => {
    f[0] = x;
    return u[0]!;
  };
  const lo = bitsOf(2 ** -26);
  const ranges: [number, number, number][] = [
    [lo, bitsOf(89), 0],
    [lo, bitsOf(20), 0x80000000],
  ];
  const t0 = performance.now();
  let scanned = 0;
  const flagged: number[] = [];
  for (const [from, to, sign] of ranges) {
    for (let b = from; b < to; b++) {
      u[0] = (b | sign) >>> 0;
      const ex = Math.exp(f[0]!);
      const r = Math.fround(ex);
      scanned++;
      if (r === Infinity) continue;
      u[0] = bitsOf(r);
      const ulp = 2 ** (((u[0]! >>> 23) & 255) - 150);
      const distance = Math.min(Math.abs(ex - (r + ulp / 2)), Math.abs(ex - (r - ulp / 2)), Math.abs(ex - (r - ulp / 4)));
      if (distance < ulp * 2 ** -24) flagged.push((b | sign) >>> 0);
    }
  }
  let integerWrong = 0;
  let mathWrong = 0;
  for (const v of flagged) {
    const exact = exactExpBits(v);
    u[0] = v;
    const cpu = bitsOf(Math.fround(Math.exp(f[0]!)));
    if (expRnBits(v) !== exact) integerWrong++;
    if (cpu !== exact) mathWrong++;
  }
  console.log(
    `${scanned} float32 arguments in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${flagged.length} within 2^-48 of a midpoint, ` +
      `decided at 256 bits: integer exp wrong on ${integerWrong}, Math.fround(Math.exp) wrong on ${mathWrong}`,
  );
  return integerWrong === 0 && mathWrong === 0 ? 0 : 1;
}
