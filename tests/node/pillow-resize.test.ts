import { describe, expect, it } from 'vitest';
import { bilinearAxis, packAxis, PRECISION_BITS } from '../../src/ops/pillow-coefficients';
import { pillowResizeRgb } from '../../src/reference/pillow-resize';
import { compareWithPillow, describePair, PILLOW_PAIRS, PILLOW_VERSION, pillowSource } from '../harness/pillow-fixtures';

// The CPU reference of Pillow's BILINEAR resample against Pillow's own output on every fixture
// pair (the GPU kernels are checked against the same pairs in tests/kernels/pillow-resize.cases.ts).
describe(`Pillow ${PILLOW_VERSION} BILINEAR resize, CPU reference`, () => {
  it('has at least 30 fixture pairs, including the official photo sizes', () => {
    expect(PILLOW_PAIRS.length).toBeGreaterThanOrEqual(30);
    const key = (p: (typeof PILLOW_PAIRS)[number]) => `${p.source.join('x')}->${p.target.join('x')}`;
    expect(PILLOW_PAIRS.map(key)).toEqual(expect.arrayContaining(['3000x4000->800x1067', '1080x1920->750x1333']));
  });

  for (const pair of PILLOW_PAIRS) {
    it(describePair(pair), async () => {
      const [h, w] = pair.source;
      const [th, tw] = pair.target;
      const rgb = pillowResizeRgb(pillowSource(pair), h, w, th, tw);
      const result = await compareWithPillow(pair, rgb);
      console.log(`CPU ${describePair(pair)}: max |Δ| ${result.identical ? 0 : `≥ ${result.maxDiffStoredRows}`}${result.firstDiff ? ` (${result.firstDiff})` : ''}`);
      expect(result.firstDiff).toBeUndefined();
      expect(result.identical).toBe(true);
    });
  }

  it('coefficients: identity is one weight of 2^22; shrinking widens the window (antialiasing)', () => {
    const identity = bilinearAxis(5, 5);
    for (let i = 0; i < 5; i++) {
      expect(identity.first[i]).toBe(i);
      expect(identity.weights[i * identity.stride]).toBe(1 << PRECISION_BITS);
      for (let t = 1; t < identity.count[i]!; t++) expect(identity.weights[i * identity.stride + t]).toBe(0);
    }
    const shrink = bilinearAxis(4000, 1067);
    expect(shrink.stride).toBe(2 * Math.ceil(4000 / 1067) + 1);
    expect(Math.max(...shrink.count)).toBeGreaterThan(4);
    // Each output's weights sum to 2^22 within the rounding of its taps.
    for (let i = 0; i < shrink.outSize; i++) {
      let sum = 0;
      for (let t = 0; t < shrink.count[i]!; t++) sum += shrink.weights[i * shrink.stride + t]!;
      expect(Math.abs(sum - (1 << PRECISION_BITS))).toBeLessThanOrEqual(shrink.count[i]!);
    }
    const packed = packAxis(shrink);
    expect(packed.length).toBe(2 * 1067 + 1067 * shrink.stride);
    expect([packed[2 * 10], packed[2 * 10 + 1]]).toEqual([shrink.first[10], shrink.count[10]]);
  });
});
