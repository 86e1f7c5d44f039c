/**
 * CPU references for `shaders/conv2d.wgsl`, written from the definition (PyTorch's conv2d on an
 * NHWC input with OIHW weights, zero padding), f64 accumulation.
 */

export interface ConvRefOptions {
  stride?: number;
  padY?: number;
  padX?: number;
  bias?: Float32Array;
  /** Added before ReLU, indexed like the output. */
  residual?: Float32Array;
  relu?: boolean;
}

export interface ConvRefShape {
  /** NHWC. */
  input: readonly [number, number, number, number];
  /** OIHW [Cout, Cin, KH, KW]. */
  weights: readonly [number, number, number, number];
}

function outSize(n: number, k: number, s: number, p: number): number {
  return Math.floor((n + 2 * p - k) / s) + 1;
}

/** Conv of one output pixel (flat NHW index `pixel`) into `dst` at `dstOffset`, before any epilogue. */
function convPixel(
  x: Float32Array,
  w: Float32Array,
  shape: ConvRefShape,
  o: Required<Pick<ConvRefOptions, 'stride' | 'padY' | 'padX'>>,
  pixel: number,
  dst: Float64Array,
): void {
  const [, h, wi, cin] = shape.input;
  const [cout, , kh, kw] = shape.weights;
  const oh = outSize(h, kh, o.stride, o.padY);
  const ow = outSize(wi, kw, o.stride, o.padX);
  const n = Math.floor(pixel / (oh * ow));
  const oy = Math.floor((pixel % (oh * ow)) / ow);
  const ox = pixel % ow;
  dst.fill(0);
  for (let ky = 0; ky < kh; ky++) {
    const iy = oy * o.stride - o.padY + ky;
    if (iy < 0 || iy >= h) continue;
    for (let kx = 0; kx < kw; kx++) {
      const ix = ox * o.stride - o.padX + kx;
      if (ix < 0 || ix >= wi) continue;
      const xo = ((n * h + iy) * wi + ix) * cin;
      for (let co = 0; co < cout; co++) {
        let s = 0;
        for (let ci = 0; ci < cin; ci++) s += x[xo + ci]! * w[((co * cin + ci) * kh + ky) * kw + kx]!;
        dst[co] = dst[co]! + s;
      }
    }
  }
}

function finish(v: number, opts: ConvRefOptions, co: number, residualAt: number): number {
  let r = v + (opts.bias ? opts.bias[co]! : 0) + (opts.residual ? opts.residual[residualAt]! : 0);
  if (opts.relu) r = Math.max(r, 0);
  return r;
}

/** Dense conv: NHWC [N, OH, OW, Cout]. */
export function conv2dRef(x: Float32Array, w: Float32Array, shape: ConvRefShape, opts: ConvRefOptions = {}): Float32Array {
  const [n, h, wi] = shape.input;
  const [cout, , kh, kw] = shape.weights;
  const o = { stride: opts.stride ?? 1, padY: opts.padY ?? 0, padX: opts.padX ?? 0 };
  const pixels = n * outSize(h, kh, o.stride, o.padY) * outSize(wi, kw, o.stride, o.padX);
  const out = new Float32Array(pixels * cout);
  const acc = new Float64Array(cout);
  for (let p = 0; p < pixels; p++) {
    convPixel(x, w, shape, o, p, acc);
    for (let co = 0; co < cout; co++) out[p * cout + co] = finish(acc[co]!, opts, co, p * cout + co);
  }
  return out;
}
