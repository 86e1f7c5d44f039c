/** CPU references for `shaders/resize.wgsl` (NHWC f32). */

/** PyTorch F.interpolate(mode='bilinear', align_corners=True) to [outH, outW]. */
export function bilinearResizeRef(
  src: Float32Array,
  shape: readonly [number, number, number, number],
  outHeight: number,
  outWidth: number,
): Float32Array {
  const [n, h, w, c] = shape;
  // PyTorch computes the step in f32.
  const sy = outHeight > 1 ? Math.fround((h - 1) / (outHeight - 1)) : 0;
  const sx = outWidth > 1 ? Math.fround((w - 1) / (outWidth - 1)) : 0;
  const out = new Float32Array(n * outHeight * outWidth * c);
  const at = (b: number, y: number, x: number, ch: number) => src[((b * h + y) * w + x) * c + ch]!;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outHeight; y++) {
      const fy = Math.fround(y * sy);
      const y0 = Math.min(Math.floor(fy), h - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const ly = fy - y0;
      for (let x = 0; x < outWidth; x++) {
        const fx = Math.fround(x * sx);
        const x0 = Math.min(Math.floor(fx), w - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const lx = fx - x0;
        for (let ch = 0; ch < c; ch++) {
          const top = at(b, y0, x0, ch) * (1 - lx) + at(b, y0, x1, ch) * lx;
          const bottom = at(b, y1, x0, ch) * (1 - lx) + at(b, y1, x1, ch) * lx;
          out[((b * outHeight + y) * outWidth + x) * c + ch] = top * (1 - ly) + bottom * ly;
        }
      }
    }
  }
  return out;
}

/** lateral + nearest ×2 upsample of top ([N, ceil(H/2), ceil(W/2), C]) cropped to lateral's H×W. */
export function nearestUp2AddRef(
  lateral: Float32Array,
  shape: readonly [number, number, number, number],
  top: Float32Array,
): Float32Array {
  const [n, h, w, c] = shape;
  const th = Math.ceil(h / 2);
  const tw = Math.ceil(w / 2);
  return lateral.map((v, i) => {
    const ch = i % c;
    const x = Math.floor(i / c) % w;
    const y = Math.floor(i / (c * w)) % h;
    const b = Math.floor(i / (c * w * h));
    return v + top[((b * th + (y >> 1)) * tw + (x >> 1)) * c + ch]!;
  });
}
