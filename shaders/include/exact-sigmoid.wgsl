// The float32 sigmoid of the CPU post-processing (src/model/fcos-postprocess.ts, sigmoid32),
//   p = RN(1 / RN(1 + RN(exp(−x))))      RN: round to nearest even float32,
// bit for bit, in integer arithmetic only: a GPU's `exp` and `/` are not correctly rounded, and
// a compiler may contract float multiply-adds, so no float instruction decides a bit here.
// Values travel as float32 bit patterns (u32); 64-bit integers as vec2<u32>(lo, hi).
//
// RN(exp(v)) for 2^-26 ≤ |v|, −20 < v < 89: |v| = k·ln2 + r with |r| < 0.35 (ln2 to 96 bits),
// exp(r) by a 16-term Horner series in 2.62 fixed point (error < 2^-59 relative), scaled by 2^k
// and rounded to 24 bits. tools/exact-exp-scan.ts checks every float32 of that range: where
// exp(v) lies within 2^-48 (relative) of a rounding midpoint it compares against a 256-bit
// evaluation; everywhere else the error bound decides. Outside it: |v| < 2^-26 → 1, x ≥ 20 → p = 1,
// x ≤ −89 → p = 0 (exp overflows), NaN → NaN. 1 + e and 1 / s are exact integer operations with
// round-to-nearest-even (subnormal quotients included).

const F32_ONE: u32 = 0x3f800000u;
const F32_INF: u32 = 0x7f800000u;

// a · b as 64 bits.
fn mul32(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = lh + hl;
  let mid_carry = select(0u, 0x10000u, mid < lh);
  let lo = ll + (mid << 16u);
  let lo_carry = select(0u, 1u, lo < ll);
  return vec2<u32>(lo, ah * bh + (mid >> 16u) + mid_carry + lo_carry);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

// floor(a · b / 2^62) for a, b < 2^63.
fn mul_fixed62(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p00 = mul32(a.x, b.x);
  let p01 = mul32(a.x, b.y);
  let p10 = mul32(a.y, b.x);
  let p11 = mul32(a.y, b.y);
  var w1 = p00.y + p01.x;
  var c1 = select(0u, 1u, w1 < p00.y);
  w1 = w1 + p10.x;
  c1 = c1 + select(0u, 1u, w1 < p10.x);
  var w2 = p11.x + p01.y;
  var c2 = select(0u, 1u, w2 < p11.x);
  w2 = w2 + p10.y;
  c2 = c2 + select(0u, 1u, w2 < p10.y);
  w2 = w2 + c1;
  c2 = c2 + select(0u, 1u, w2 < c1);
  let w3 = p11.y + c2;
  return vec2<u32>((w2 << 2u) | (w1 >> 30u), (w3 << 2u) | (w2 >> 30u));
}

// floor(a / n) for 1 ≤ n < 2^16.
fn div_small(a: vec2<u32>, n: u32) -> vec2<u32> {
  let qh = a.y / n;
  var r = a.y - qh * n;
  let t1 = (r << 16u) | (a.x >> 16u);
  let q1 = t1 / n;
  r = t1 - q1 * n;
  let t0 = (r << 16u) | (a.x & 0xffffu);
  return vec2<u32>((q1 << 16u) | (t0 / n), qh);
}

// RN(exp(v)) for the bits v of a float32 with 2^-26 ≤ |v|, −20 < v < 89 (normal result or +inf).
fn exp_rn(v: u32) -> u32 {
  let negative = (v >> 31u) != 0u;
  let ab = v & 0x7fffffffu;
  let e = i32(ab >> 23u) - 127;                 // −26 … 6
  let m = (ab & 0x7fffffu) | 0x800000u;
  // A = |v| · 2^64 as 96 bits (a0, a1, a2): m · 2^(e + 41), e + 41 in 15 … 47.
  let sh = u32(e + 41);
  var a0 = 0u;
  var a1 = 0u;
  var a2 = 0u;
  if (sh < 32u) {
    a0 = m << sh;
    a1 = m >> (32u - sh);
  } else {
    let s = sh - 32u;
    a1 = m << s;
    a2 = select(m >> (32u - s), 0u, s == 0u);
  }
  // k = round(|v| / ln2) from |v| · 2^16 (any k with |r| < 0.35 serves).
  let s7 = u32(7 - e);
  let ai = select(m >> s7, 0u, s7 >= 32u);
  let k = (ai + 22713u) / 45426u;
  // K = floor(k · LN2_96 / 2^32): k · ln2 · 2^64 as 96 bits, LN2_96 = floor(ln2 · 2^96).
  let q0 = mul32(k, 0xc9e3b398u);
  let q1 = mul32(k, 0xd1cf79abu);
  let q2 = mul32(k, 0xb17217f7u);
  let k0 = q0.y + q1.x;
  let c0 = select(0u, 1u, k0 < q0.y);
  var k1 = q1.y + q2.x;
  var c1 = select(0u, 1u, k1 < q1.y);
  k1 = k1 + c0;
  c1 = c1 + select(0u, 1u, k1 < c0);
  let k2 = q2.y + c1;
  // R = A − K, |R| < 2^63: its magnitude in 64 bits, and its sign.
  let a_below = a2 < k2 || (a2 == k2 && (a1 < k1 || (a1 == k1 && a0 < k0)));
  var big = vec2<u32>(a0, a1);
  var small = vec2<u32>(k0, k1);
  if (a_below) {
    big = vec2<u32>(k0, k1);
    small = vec2<u32>(a0, a1);
  }
  let r = sub64(big, small);
  let rho = vec2<u32>((r.x >> 2u) | (r.y << 30u), r.y >> 2u);   // |r| in 2.62 fixed point
  // exp(±|r|) = 1 ± |r|(1 ± |r|/2 (1 ± … )) in 2.62 fixed point.
  let minus = negative != a_below;
  let one = vec2<u32>(0u, 0x40000000u);
  var s = one;
  for (var n = 16u; n > 0u; n = n - 1u) {
    let t = div_small(mul_fixed62(rho, s), n);
    s = select(add64(one, t), sub64(one, t), minus);
  }
  // exp(v) = s · 2^-62 · 2^±k; round s to 24 bits (its leading bit is bit 62 or 61).
  let high = s.y >= 0x40000000u;
  let drop_hi = select(6u, 7u, high);              // drop = 38 or 39 bits: 32 + drop_hi
  var mant = s.y >> drop_hi;
  let rem_hi = s.y & ((1u << drop_hi) - 1u);
  let half_hi = 1u << (drop_hi - 1u);
  let above = rem_hi > half_hi || (rem_hi == half_hi && s.x != 0u);
  let tie = rem_hi == half_hi && s.x == 0u;
  if (above || (tie && (mant & 1u) == 1u)) { mant = mant + 1u; }
  let scale = select(i32(k), -i32(k), negative);
  let biased = select(-1, 0, high) + scale + 127;
  if (biased >= 255) { return F32_INF; }
  let bits = (u32(biased - 1) << 23u) + mant;
  return min(bits, F32_INF);
}

// RN(1 + e) for a positive normal float32 e > 2^-30 (or +inf).
fn add_one_rn(e: u32) -> u32 {
  if (e >= F32_INF) { return F32_INF; }
  let ee = i32(e >> 23u) - 127;
  let me = (e & 0x7fffffu) | 0x800000u;
  if (ee >= 25) { return e; }
  if (ee == 24) { return e + (me & 1u); }       // 1 is half an ulp: ties to even
  if (ee >= 0) {
    let sum = me + (1u << u32(23 - ee));
    if (sum < 0x1000000u) { return (u32(ee + 126) << 23u) + sum; }
    let q = sum >> 1u;
    return (u32(ee + 127) << 23u) + q + (sum & q & 1u);
  }
  let d = u32(-ee);                              // 1 … 30
  let q = me >> d;
  let rem = me & ((1u << d) - 1u);
  let half = 1u << (d - 1u);
  let up = rem > half || (rem == half && (q & 1u) == 1u);
  return (126u << 23u) + 0x800000u + q + select(0u, 1u, up);
}

// RN(1 / s) for a float32 s ≥ 1 (or +inf → 0); subnormal quotients rounded as such.
fn recip_rn(s: u32) -> u32 {
  if (s >= F32_INF) { return 0u; }
  let es = (s >> 23u) - 127u;                   // 0 … 127
  let ms = (s & 0x7fffffu) | 0x800000u;
  if (ms == 0x800000u) {
    if (es <= 126u) { return (127u - es) << 23u; }
    return 0x400000u;                            // 2^-127
  }
  // q = floor(2^49 / ms) in (2^25, 2^26), r the remainder.
  var r = 0x800000u;
  var q = 0u;
  for (var i = 0u; i < 26u; i++) {
    r = r << 1u;
    q = q << 1u;
    if (r >= ms) {
      r = r - ms;
      q = q | 1u;
    }
  }
  // 1/s = q · 2^(−26 − es): 24 bits for a normal result, fewer below 2^-126.
  let drop = 2u + select(0u, es - 125u, es > 125u);
  let kept = q >> drop;
  let rem = q & ((1u << drop) - 1u);
  let half = 1u << (drop - 1u);
  let up = rem > half || (rem == half && (r != 0u || (kept & 1u) == 1u));
  let mant = kept + select(0u, 1u, up);
  if (es > 125u) { return mant; }
  return ((125u - es) << 23u) + mant;
}

// The float32 sigmoid of the bits x, as bits (see the top of this file).
fn sigmoid_rn(x: u32) -> u32 {
  let ax = x & 0x7fffffffu;
  if (ax > F32_INF) { return 0x7fc00000u; }
  let positive = (x >> 31u) == 0u;
  if (positive && ax >= 0x41a00000u) { return F32_ONE; }   // x ≥ 20: RN(1 + e) = 1
  if (!positive && ax >= 0x42b20000u) { return 0u; }       // x ≤ −89: exp overflows
  var e = F32_ONE;
  if (ax >= 0x32800000u) { e = exp_rn(x ^ 0x80000000u); }
  return recip_rn(add_one_rn(e));
}
