/** CPU references for `shaders/resize.wgsl` (NHWC f32). */

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
