/** CPU references for `shaders/elementwise.wgsl` (NHWC f32). */

export function addRef(a: Float32Array, b: Float32Array, relu = false): Float32Array {
  return a.map((v, i) => (relu ? Math.max(v + b[i]!, 0) : v + b[i]!));
}

export function reluRef(a: Float32Array): Float32Array {
  return a.map((v) => Math.max(v, 0));
}
