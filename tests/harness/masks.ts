import { rng } from './random';

/**
 * Gate maps for sparse-head tests and benchmarks: values in (0, 1) at active pixels, exactly 0
 * elsewhere (as GeReTanH gives), over `pixels` = H·W of one image.
 */

/** Each pixel active with probability `density`. */
export function randomGate(height: number, width: number, density: number, seed: number): Float32Array {
  const next = rng(seed);
  const gate = new Float32Array(height * width);
  for (let i = 0; i < gate.length; i++) if (next() < density) gate[i] = 0.05 + 0.9 * next();
  return gate;
}

/**
 * Round blobs of random radius added until about `density` of the pixels are active — the
 * spatially coherent masks real gates produce.
 */
export function clusteredGate(height: number, width: number, density: number, seed: number): Float32Array {
  const next = rng(seed);
  const gate = new Float32Array(height * width);
  const target = Math.round(density * gate.length);
  let active = 0;
  const maxRadius = Math.max(1.5, Math.min(height, width) / 6);
  while (active < target) {
    const cy = next() * height;
    const cx = next() * width;
    const r = 1 + next() * maxRadius;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, Math.ceil(cx + r)); x++) {
        const i = y * width + x;
        if (active >= target || gate[i]! > 0 || (y - cy) ** 2 + (x - cx) ** 2 > r * r) continue;
        gate[i] = 0.05 + 0.9 * next();
        active++;
      }
    }
  }
  return gate;
}

/** 3×3 dilation of `gate > 0` inside an H×W image (max-pool 3×3/1 pad 1, active where > 0). */
export function dilatedMaskRef(gate: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(gate.length);
  const images = gate.length / (height * width);
  for (let n = 0; n < images; n++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let on = false;
        for (let dy = -1; dy <= 1 && !on; dy++) {
          for (let dx = -1; dx <= 1 && !on; dx++) {
            const sy = y + dy;
            const sx = x + dx;
            if (sy >= 0 && sx >= 0 && sy < height && sx < width && gate[(n * height + sy) * width + sx]! > 0) on = true;
          }
        }
        out[(n * height + y) * width + x] = on ? 1 : 0;
      }
    }
  }
  return out;
}
