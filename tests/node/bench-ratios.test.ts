import { describe, expect, it } from 'vitest';
import { formatRatio, impliedCrossover } from '../../bench/ratios';
import { stats } from '../../bench/suite-types';

const point = (density: number, ratio: number) => ({ density, ratio, sparseMs: ratio, denseMs: 1 });

describe('benchmark ratios', () => {
  it('the crossover is where the curve reaches 1, or none when sparse is cheaper everywhere', () => {
    expect(impliedCrossover([point(0, 0.1), point(0.5, 0.6), point(1, 0.85)])).toBeUndefined();
    expect(impliedCrossover([point(0.8, 0.9), point(1, 1.1)])).toBeCloseTo(0.9, 10);
    expect(impliedCrossover([point(0, 1.2), point(1, 2)])).toBe(0);
    expect(impliedCrossover([point(1, 1.1), point(0.5, 0.5)])).toBeCloseTo(0.5 + 0.5 / 0.6 * 0.5, 10);
  });

  it('formats spread, controls and sub-resolution rows', () => {
    const a = stats([10, 11, 12, 13]);
    expect(formatRatio({ label: 'x', a, b: a, ratio: 1, range: [0.9, 1.1], role: 'control', withinNoise: true })).toContain('control: 1 within spread');
    expect(formatRatio({ label: 'x', a, b: a, ratio: 1.3, range: [1.2, 1.4], role: 'control', withinNoise: false })).toContain('CONTROL OUTSIDE SPREAD');
    expect(formatRatio({ label: 'x', a, b: a, ratio: undefined, range: undefined, role: 'compare', note: 'both below the 0.1 ms timer resolution' })).toContain('n/a');
  });
});
