import { describe, expect, it } from 'vitest';
import { formatRatio, impliedCrossover, ratioRows } from '../../bench/ratios';
import { stats, type BenchResult, type EngineRun } from '../../bench/suite-types';

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

  it('the dynamic head is compared with the fixed head and the FCOS baseline, stage by stage, backbone and FPN as controls', () => {
    const ours = (config: string, head: number): EngineRun => {
      const stages = { backbone: stats([50, 51, 52, 53]), fpn: stats([5, 5, 6, 6]), head: stats([head, head + 1, head + 2, head + 3]) };
      const wall = stats([60 + head, 61 + head, 62 + head, 63 + head]);
      return {
        engine: 'ours',
        engineLabel: 'ours',
        config,
        loadMs: 1,
        compileMs: 1,
        notes: [],
        series: [
          { kind: 'network', firstRunMs: 1, wall, stages: {}, timingSource: 'timestamp-query', samplesMs: [] },
          { kind: 'pipeline', firstRunMs: 1, wall, stages: {}, stageStats: stages, timingSource: 'timestamp-query', samplesMs: [] },
        ],
      } as EngineRun;
    };
    const dynamic = { ...ours('dynamic', 10), macs: { denseFixed: 200, denseDynamic: 210, executed: 90 } };
    const rows = ratioRows({ runs: [ours('fixed', 20), dynamic, ours('fcos', 30)] } as unknown as BenchResult);
    const byLabel = new Map(rows.map((r) => [r.label, r]));
    expect(byLabel.get('ours dynamic / ours FCOS baseline (network)')?.ratio).toBeCloseTo(71.5 / 91.5, 10);
    expect(byLabel.get('stage head: dynamic / FCOS baseline')).toMatchObject({ role: 'compare', ratio: 11.5 / 31.5 });
    expect(byLabel.get('stage backbone: dynamic / FCOS baseline')).toMatchObject({ role: 'control', withinNoise: true });
    expect(byLabel.get('stage head: dynamic / fixed')?.ratio).toBeCloseTo(11.5 / 21.5, 10);
    // The head's time ratio is reported against the dynamic run's executed / dense head MACs.
    expect(byLabel.get('stage head: dynamic / fixed')?.macRatio).toBe(0.45);
    expect(formatRatio(byLabel.get('stage head: dynamic / fixed')!)).toContain(`vs executed / dense head MACs 0.450 (time − MACs ${(11.5 / 21.5 - 0.45).toFixed(3)})`);
    expect(byLabel.get('stage head: dynamic / FCOS baseline')?.macRatio).toBeUndefined();
    // Without an FCOS run there are no FCOS rows.
    expect(ratioRows({ runs: [ours('fixed', 20), ours('dynamic', 10)] } as unknown as BenchResult).some((r) => r.label.includes('FCOS'))).toBe(false);
  });
});
