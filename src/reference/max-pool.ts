/** CPU reference for `shaders/max-pool.wgsl`: 3×3 max-pool, pad 1 (as −inf), NHWC f32. */
export function maxPool3x3Ref(
  input: Float32Array,
  shape: readonly [number, number, number, number],
  stride: number,
): Float32Array {
  const [n, h, w, c] = shape;
  const oh = Math.floor((h - 1) / stride) + 1;
  const ow = Math.floor((w - 1) / stride) + 1;
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const y = oy * stride + ky - 1;
              const x = ox * stride + kx - 1;
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              best = Math.max(best, input[((b * h + y) * w + x) * c + ch]!);
            }
          }
          out[((b * oh + oy) * ow + ox) * c + ch] = best;
        }
      }
    }
  }
  return out;
}
