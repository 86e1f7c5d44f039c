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
