/** CPU reference for `shaders/reduce.wgsl`: the sum, accumulated in f64. */
export function sumRef(values: Float32Array): number {
  let acc = 0;
  for (const v of values) acc += v;
  return acc;
}
