/** CPU references for `shaders/elementwise.wgsl` (NHWC f32). */

export function addRef(a: Float32Array, b: Float32Array, relu = false): Float32Array {
  return a.map((v, i) => (relu ? Math.max(v + b[i]!, 0) : v + b[i]!));
}

export function scaleRef(a: Float32Array, s: number): Float32Array {
  return a.map((v) => v * Math.fround(s));
}

export function mulGateRef(a: Float32Array, gate: Float32Array, channels: number, relu = false): Float32Array {
  return a.map((v, i) => {
    const y = v * gate[Math.floor(i / channels)]!;
    return relu ? Math.max(y, 0) : y;
  });
}

export function reluRef(a: Float32Array): Float32Array {
  return a.map((v) => Math.max(v, 0));
}

export function axpbyRef(acc: Float32Array, sa: number, b: Float32Array, sb: number): Float32Array {
  return acc.map((v, i) => Math.fround(v * sa) + Math.fround(b[i]! * sb));
}

export function gateResidualReluRef(o: Float32Array, gate: Float32Array, residual: Float32Array, channels: number): Float32Array {
  return o.map((v, i) => Math.max(v * gate[Math.floor(i / channels)]! + residual[i]!, 0));
}
