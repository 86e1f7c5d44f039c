/**
 * CPU references for `shaders/group-norm.wgsl` (NHWC f32), computed in f64 with a two-pass
 * (mean, then centred variance) so they stay exact for data with a large mean.
 */

export interface GroupNormRefOptions {
  groups: number;
  gamma: Float32Array;
  beta: Float32Array;
  eps?: number;
  relu?: boolean;
  /** [N·H·W]: statistics over pixels with mask > 0 only; other pixels output 0. */
  mask?: Float32Array;
}

export function groupNormRef(
  input: Float32Array,
  shape: readonly [number, number, number, number],
  options: GroupNormRefOptions,
): Float32Array {
  const [n, h, w, c] = shape;
  const pixels = h * w;
  const { groups, gamma, beta, mask } = options;
  const eps = options.eps ?? 1e-5;
  const cg = c / groups;
  const out = new Float32Array(input.length);
  const active = (b: number, p: number) => !mask || mask[b * pixels + p]! > 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      let count = 0;
      let sum = 0;
      for (let p = 0; p < pixels; p++) {
        if (!active(b, p)) continue;
        for (let k = 0; k < cg; k++) sum += input[(b * pixels + p) * c + g * cg + k]!;
        count += cg;
      }
      if (count === 0) continue; // every pixel of this group is inactive: outputs stay 0
      const mean = sum / count;
      let sq = 0;
      for (let p = 0; p < pixels; p++) {
        if (!active(b, p)) continue;
        for (let k = 0; k < cg; k++) sq += (input[(b * pixels + p) * c + g * cg + k]! - mean) ** 2;
      }
      const invStd = 1 / Math.sqrt(sq / count + eps);
      for (let p = 0; p < pixels; p++) {
        if (!active(b, p)) continue;
        for (let k = 0; k < cg; k++) {
          const ch = g * cg + k;
          const i = (b * pixels + p) * c + ch;
          const y = (input[i]! - mean) * invStd * gamma[ch]! + beta[ch]!;
          out[i] = options.relu ? Math.max(y, 0) : y;
        }
      }
    }
  }
  return out;
}

/** GroupNorm over the first `count` rows of a compacted [maxRows, C] input; returns [count, C]. */
export function groupNormRowsRef(
  input: Float32Array,
  channels: number,
  count: number,
  options: Omit<GroupNormRefOptions, 'mask'>,
): Float32Array {
  return groupNormRef(input.subarray(0, count * channels), [1, count, 1, channels], options);
}
