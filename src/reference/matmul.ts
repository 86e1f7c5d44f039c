/** CPU reference for `shaders/matmul.wgsl`: C[M,N] = A[M,K]·B[K,N] (+ bias) (ReLU), f64 accumulation. */
export function matmulRef(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  bias?: Float32Array,
  relu = false,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) acc += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = relu ? Math.max(acc, 0) : acc;
    }
  }
  return c;
}
