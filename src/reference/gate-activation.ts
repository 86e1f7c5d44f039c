/** CPU reference of the gate activations (shaders/include/gate-activation.wgsl), f64, from the definition. */

export type GateActivationRef = 'geretanh' | 'retanh' | 'sigmoid';

export function gateActivationRef(x: number, activation: GateActivationRef, tau = 1.5): number {
  if (activation === 'geretanh') {
    if (x <= 0) return 0;
    return Math.max(0, (Math.tanh(x - tau) + Math.tanh(tau)) / (1 + Math.tanh(tau)));
  }
  if (activation === 'retanh') return Math.max(0, Math.tanh(x));
  return 1 / (1 + Math.exp(-x));
}
