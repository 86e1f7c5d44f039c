/** CPU reference for `shaders/depthwise-conv.wgsl` (NHWC f32, weights [9, C], stride 1, pad 1). */
export function depthwiseConv3x3Ref(
  input: Float32Array,
  shape: readonly [number, number, number, number],
  weights: Float32Array,
  bias: Float32Array,
): Float32Array {
  const [n, h, w, c] = shape;
  const out = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((b * h + y) * w + x) * c;
        for (let ch = 0; ch < c; ch++) {
          let acc = bias[ch]!;
          for (let t = 0; t < 9; t++) {
            const sy = y + Math.floor(t / 3) - 1;
            const sx = x + (t % 3) - 1;
            if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
            acc += input[((b * h + sy) * w + sx) * c + ch]! * weights[t * c + ch]!;
          }
          out[o + ch] = acc;
        }
      }
    }
  }
  return out;
}
