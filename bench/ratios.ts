/**
 * The benchmark's ratios, honestly: each with the spread the samples allow (p25/p75 of one side
 * against p75/p25 of the other), stages whose work is identical on both sides marked as
 * controls (their ratio must come out at 1 within that spread, or the run was too noisy to
 * compare the rest), and stage ratios of two sides below the timer's resolution not computed at
 * all. Used by the HTML report and the console summary alike.
 */
import type { BenchResult, Series, SparsePoint, Stats } from './suite-types';

/** Below this many milliseconds on both sides a ratio says nothing (timestamp ticks, clock grain). */
export const TIMER_RESOLUTION_MS = 0.1;

/**
 * Stages that do the same work for the dynamic and the fixed head (same backbone, FPN, input) and
 * for the FCOS baseline (the same architecture and width, other weights: equal work too).
 */
export const CONTROL_STAGES: ReadonlySet<string> = new Set(['preprocess', 'backbone', 'fpn', 'pre-process (CPU)']);

export interface RatioRow {
  readonly label: string;
  readonly a: Stats;
  readonly b: Stats;
  /** a.median / b.median; undefined when both are below the timer resolution. */
  readonly ratio: number | undefined;
  /** [a.p25 / b.p75, a.p75 / b.p25]: where the ratio lies given each side's spread. */
  readonly range: readonly [number, number] | undefined;
  /** 'control': identical work (1 expected); 'compare': what the row claims to compare. */
  readonly role: 'control' | 'compare';
  /** For a control: whether 1 lies inside its range. */
  readonly withinNoise?: boolean;
  readonly note?: string;
  /**
   * The head stage of the dynamic head against the fixed one: executed / dense head MACs of the
   * dynamic run (detect()'s report), what the time ratio is measured against.
   */
  readonly macRatio?: number;
}

function row(label: string, a: Stats, b: Stats, role: RatioRow['role']): RatioRow {
  if (a.medianMs < TIMER_RESOLUTION_MS && b.medianMs < TIMER_RESOLUTION_MS) {
    return { label, a, b, ratio: undefined, range: undefined, role, note: `both below the ${TIMER_RESOLUTION_MS} ms timer resolution` };
  }
  const range: [number, number] = [a.p25Ms / b.p75Ms, a.p75Ms / b.p25Ms];
  const base = { label, a, b, ratio: a.medianMs / b.medianMs, range, role };
  return role === 'control' ? { ...base, withinNoise: range[0] <= 1 && range[1] >= 1 } : base;
}

export function ratioRows(result: BenchResult): RatioRow[] {
  const find = (engine: string, config: string, kind: Series['kind'] = 'network') => result.runs.find((r) => r.engine === engine && r.config === config)?.series.find((s) => s.kind === kind);
  const rows: RatioRow[] = [];
  const pair = (label: string, a: Series | undefined, b: Series | undefined) => {
    if (a && b) rows.push(row(label, a.wall, b.wall, 'compare'));
  };
  pair('ours fixed / ORT-web WebGPU fixed (network)', find('ours', 'fixed'), find('ort-webgpu', 'fixed'));
  pair('ours fixed / ORT-web wasm fixed (network)', find('ours', 'fixed'), find('ort-wasm', 'fixed'));
  pair('ours dynamic / ORT-web WebGPU dynamic-dense (network)', find('ours', 'dynamic'), find('ort-webgpu', 'dynamic-dense'));
  pair('ours dynamic / ORT-web wasm dynamic-dense (network)', find('ours', 'dynamic'), find('ort-wasm', 'dynamic-dense'));
  pair('ours dynamic / ours fixed (network)', find('ours', 'dynamic'), find('ours', 'fixed'));
  pair('ours dynamic / ours fixed (pipeline: RGBA → detections)', find('ours', 'dynamic', 'pipeline'), find('ours', 'fixed', 'pipeline'));
  pair('ours dynamic / ours FCOS baseline (network)', find('ours', 'dynamic'), find('ours', 'fcos'));
  pair('ours dynamic / ours FCOS baseline (pipeline: RGBA → detections)', find('ours', 'dynamic', 'pipeline'), find('ours', 'fcos', 'pipeline'));
  for (const [other, name] of [['fixed', 'fixed'], ['fcos', 'FCOS baseline']] as const) {
    const d = find('ours', 'dynamic', 'pipeline');
    const f = find('ours', other, 'pipeline');
    if (!d?.stageStats || !f?.stageStats) continue;
    for (const stage of Object.keys(f.stageStats)) {
      const a = d.stageStats[stage];
      const b = f.stageStats[stage];
      if (!a || !b) continue;
      const r = row(`stage ${stage}: dynamic / ${name}`, a, b, CONTROL_STAGES.has(stage) ? 'control' : 'compare');
      const macs = result.runs.find((run) => run.engine === 'ours' && run.config === 'dynamic')?.macs;
      rows.push(stage === 'head' && other === 'fixed' && macs ? { ...r, macRatio: macs.executed / macs.denseFixed } : r);
    }
  }
  return rows;
}

/** One line per row, for the console. */
export function formatRatio(r: RatioRow): string {
  const label = r.label.padEnd(58);
  if (r.ratio === undefined) return `${label} n/a    (${r.note})`;
  const spread = r.range ? ` [${r.range[0].toFixed(3)}–${r.range[1].toFixed(3)}]` : '';
  const control = r.role === 'control' ? (r.withinNoise ? '  control: 1 within spread' : '  CONTROL OUTSIDE SPREAD: identical work differs, the run is too noisy') : '';
  const macs = r.macRatio !== undefined ? `  vs executed / dense head MACs ${r.macRatio.toFixed(3)} (time − MACs ${(r.ratio - r.macRatio).toFixed(3)})` : '';
  return `${label} ${r.ratio.toFixed(3)}${spread}  (${r.a.medianMs.toFixed(1)} / ${r.b.medianMs.toFixed(1)} ms)${control}${macs}`;
}

/**
 * The density at which the curve says sparse stops paying: the first measured ratio ≥ 1,
 * interpolated linearly from the point before it; undefined when sparse is cheaper at every
 * measured density (then there is no crossover within the curve).
 */
export function impliedCrossover(points: readonly SparsePoint[]): number | undefined {
  const sorted = [...points].filter((p) => Number.isFinite(p.ratio)).sort((x, y) => x.density - y.density);
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (p.ratio < 1) continue;
    const prev = sorted[i - 1];
    if (!prev) return p.density;
    return prev.density + ((1 - prev.ratio) / (p.ratio - prev.ratio)) * (p.density - prev.density);
  }
  return undefined;
}
