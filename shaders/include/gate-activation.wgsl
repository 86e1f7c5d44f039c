// The gate activations of the dynamic head's code (spec §4.1), chosen by the including shader's
// `override ACT: u32` (0 GeReTanH, 1 ReTanH, 2 Sigmoid).

// tanh from exp(−2|v|) ∈ (0, 1]: never overflows, so large |v| gives ±1, not NaN (some drivers'
// built-in tanh return NaN for large arguments).
fn safe_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, v < 0.0);
}

fn safe_sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(1.0 / (1.0 + e), e / (1.0 + e), v < 0.0);
}

fn activate(v: f32, tau: f32) -> f32 {
  if (ACT == 0u) {
    // The formula is ≤ 0 for v ≤ 0; pin that to exactly 0 so rounding never activates a pixel.
    let t = safe_tanh(tau);
    let g = (safe_tanh(v - tau) + t) / (1.0 + t);
    return select(max(g, 0.0), 0.0, v <= 0.0);
  }
  if (ACT == 1u) { return max(safe_tanh(v), 0.0); }
  return safe_sigmoid(v);
}
