/** CPU reference for `shaders/spatial-gate.wgsl` (f64, from the definition). */

export type GateActivationRef = 'geretanh' | 'retanh' | 'sigmoid';

export function gateActivationRef(x: number, activation: GateActivationRef, tau = 1.5): number {
  if (activation === 'geretanh') {
    if (x <= 0) return 0;
    return Math.max(0, (Math.tanh(x - tau) + Math.tanh(tau)) / (1 + Math.tanh(tau)));
  }
  if (activation === 'retanh') return Math.max(0, Math.tanh(x));
  return 1 / (1 + Math.exp(-x));
}

/**
 * logits[n, y, x] = bias + 3×3 conv (pad 1) of NHWC `input` with OIHW weights [1, C, 3, 3];
 * gate = activation(logits). Both [N·H·W].
 */
export function spatialGateRef(
  input: Float32Array,
  shape: readonly [number, number, number, number],
  weights: Float32Array,
  bias: number,
  activation: GateActivationRef,
  tau = 1.5,
): { gate: Float32Array; logits: Float32Array } {
  const [n, h, w, c] = shape;
  const logits = new Float32Array(n * h * w);
  const gate = new Float32Array(n * h * w);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = bias;
        for (let ky = 0; ky < 3; ky++) {
          const iy = y + ky - 1;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = x + kx - 1;
            if (ix < 0 || ix >= w) continue;
            const base = ((b * h + iy) * w + ix) * c;
            for (let ci = 0; ci < c; ci++) s += input[base + ci]! * weights[(ci * 3 + ky) * 3 + kx]!;
          }
        }
        const p = (b * h + y) * w + x;
        logits[p] = s;
        gate[p] = gateActivationRef(s, activation, tau);
      }
    }
  }
  return { gate, logits };
}
