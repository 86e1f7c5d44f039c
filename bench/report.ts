/**
 * Renders a benchmark result (bench/suite-types.ts) as one self-contained HTML page: tables and
 * inline SVG plots only (no script, no external asset), so the file can be archived or mailed.
 */
import { impliedCrossover, ratioRows, TIMER_RESOLUTION_MS } from './ratios';
import type { BenchResult, EngineRun, Series, SparseCurve } from './suite-types';

const PALETTE = ['#2f6db5', '#e07b24', '#3a9a4d', '#b5404a', '#7b5cb8', '#8c6d31', '#d16ba5', '#5f9ea0', '#666'];
const STAGE_COLOURS: Record<string, string> = {
  'pre-process (CPU)': '#bbbbbb',
  preprocess: '#9ecae1',
  backbone: '#2f6db5',
  fpn: '#3a9a4d',
  head: '#e07b24',
  predictor: '#b5404a',
  candidates: '#8c6d31',
  'post-process (CPU)': '#7b5cb8',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (ms: number | undefined, digits = 1) => (ms === undefined || !Number.isFinite(ms) ? '–' : ms.toFixed(digits));

function network(run: EngineRun): Series | undefined {
  return run.series.find((s) => s.kind === 'network');
}

function runLabel(run: EngineRun): string {
  return `${run.engine === 'ours' ? 'ours' : run.engine} · ${run.config}`;
}

/** Horizontal bars (median) with a p90 whisker. */
function latencyBars(rows: readonly { label: string; median: number; p90: number; colour: string }[], title: string): string {
  if (rows.length === 0) return '';
  const width = 760;
  const left = 230;
  const barH = 22;
  const gap = 8;
  const top = 30;
  const height = top + rows.length * (barH + gap) + 30;
  const max = Math.max(...rows.map((r) => Math.max(r.median, r.p90))) * 1.1 || 1;
  const x = (v: number) => left + ((width - left - 20) * v) / max;
  const ticks = niceTicks(max);
  const parts = [`<svg class="plot" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`];
  parts.push(`<text x="${left}" y="18" class="title">${escapeHtml(title)}</text>`);
  for (const t of ticks) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${height - 24}" class="grid"/><text x="${x(t)}" y="${height - 8}" class="tick" text-anchor="middle">${t}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    parts.push(`<text x="${left - 8}" y="${y + barH * 0.7}" text-anchor="end" class="label">${escapeHtml(r.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(r.median) - left)}" height="${barH}" fill="${r.colour}"><title>${escapeHtml(`${r.label}: median ${fmt(r.median)} ms, p90 ${fmt(r.p90)} ms`)}</title></rect>`);
    parts.push(`<line x1="${x(r.median)}" x2="${x(r.p90)}" y1="${y + barH / 2}" y2="${y + barH / 2}" class="whisker"/><line x1="${x(r.p90)}" x2="${x(r.p90)}" y1="${y + 4}" y2="${y + barH - 4}" class="whisker"/>`);
    parts.push(`<text x="${x(Math.max(r.median, r.p90)) + 6}" y="${y + barH * 0.7}" class="value">${fmt(r.median)} ms</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function niceTicks(max: number): number[] {
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

/** Stacked horizontal bars of the per-stage medians. */
function stageBars(rows: readonly { label: string; stages: Readonly<Record<string, number>> }[], title: string): string {
  if (rows.length === 0) return '';
  const order = [...new Set(rows.flatMap((r) => Object.keys(r.stages)))].sort(
    (a, b) => (Object.keys(STAGE_COLOURS).indexOf(a) + 100) % 100 - ((Object.keys(STAGE_COLOURS).indexOf(b) + 100) % 100),
  );
  const width = 760;
  const left = 230;
  const barH = 26;
  const gap = 10;
  const top = 30;
  const legendH = 26;
  const height = top + rows.length * (barH + gap) + legendH + 24;
  const max = Math.max(...rows.map((r) => Object.values(r.stages).reduce((a, b) => a + b, 0))) * 1.05 || 1;
  const x = (v: number) => ((width - left - 20) * v) / max;
  const parts = [`<svg class="plot" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`];
  parts.push(`<text x="${left}" y="18" class="title">${escapeHtml(title)}</text>`);
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    parts.push(`<text x="${left - 8}" y="${y + barH * 0.68}" text-anchor="end" class="label">${escapeHtml(r.label)}</text>`);
    let at = left;
    for (const stage of order) {
      const v = r.stages[stage] ?? 0;
      if (v <= 0) continue;
      const w = x(v);
      parts.push(`<rect x="${at}" y="${y}" width="${Math.max(0.5, w)}" height="${barH}" fill="${STAGE_COLOURS[stage] ?? '#999'}"><title>${escapeHtml(`${r.label} — ${stage}: ${fmt(v, 2)} ms`)}</title></rect>`);
      at += w;
    }
    const total = Object.values(r.stages).reduce((a, b) => a + b, 0);
    parts.push(`<text x="${at + 6}" y="${y + barH * 0.68}" class="value">${fmt(total)} ms</text>`);
  });
  let lx = left;
  const ly = top + rows.length * (barH + gap) + 8;
  for (const stage of order) {
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${STAGE_COLOURS[stage] ?? '#999'}"/><text x="${lx + 16}" y="${ly + 11}" class="tick">${escapeHtml(stage)}</text>`);
    lx += 24 + stage.length * 7;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** sparse/dense time ratio against density, one line per series, y = 1 marked. */
function sparsePlot(curve: SparseCurve): string {
  const width = 760;
  const height = 320;
  const l = 60;
  const r = 220;
  const t = 36;
  const b = 40;
  const points = curve.series.flatMap((s) => s.points);
  if (points.length === 0) return '';
  const ymax = Math.max(1.2, ...points.map((p) => (Number.isFinite(p.ratio) ? p.ratio : 0))) * 1.05;
  const x = (d: number) => l + (width - l - r) * d;
  const y = (v: number) => height - b - ((height - t - b) * Math.min(v, ymax)) / ymax;
  const parts = [`<svg class="plot" role="img" aria-label="sparse / dense vs density" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`];
  parts.push(`<text x="${l}" y="18" class="title">time(sparse) / time(dense) vs active density</text>`);
  for (const d of [0, 0.2, 0.4, 0.6, 0.8, 1]) parts.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${t}" y2="${height - b}" class="grid"/><text x="${x(d)}" y="${height - b + 16}" class="tick" text-anchor="middle">${Math.round(d * 100)} %</text>`);
  for (const v of niceTicks(ymax)) parts.push(`<line x1="${l}" x2="${width - r}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${l - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${v}</text>`);
  parts.push(`<line x1="${l}" x2="${width - r}" y1="${y(1)}" y2="${y(1)}" class="unity"/>`);
  curve.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.ratio));
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((p) => `${x(p.density).toFixed(1)},${y(p.ratio).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${x(p.density)}" cy="${y(p.ratio)}" r="3" fill="${colour}"><title>${escapeHtml(`${s.name}: density ${(p.density * 100).toFixed(1)} %, sparse ${fmt(p.sparseMs, 2)} ms, dense ${fmt(p.denseMs, 2)} ms, ratio ${p.ratio.toFixed(3)}`)}</title></circle>`);
    parts.push(`<rect x="${width - r + 12}" y="${t + i * 18}" width="12" height="3" fill="${colour}"/><text x="${width - r + 28}" y="${t + i * 18 + 5}" class="tick">${escapeHtml(s.name)}</text>`);
  });
  // The crossover the plotted curve implies (first series: the one the engine calibrates on).
  const implied = impliedCrossover(curve.series[0]?.points ?? []);
  const caption =
    implied !== undefined
      ? `curve crosses 1 at ${(implied * 100).toFixed(0)} %`
      : 'sparse cheaper at every measured density: no crossover';
  if (implied !== undefined) parts.push(`<line x1="${x(implied)}" x2="${x(implied)}" y1="${t}" y2="${height - b}" class="crossover"/>`);
  const calibrated = curve.crossover !== undefined ? `; calibration chose ${(curve.crossover * 100).toFixed(0)} %` : '';
  parts.push(`<text x="${l + 4}" y="${t + 12}" class="tick">${escapeHtml(caption + calibrated)}</text>`);
  parts.push(`<text x="${(l + width - r) / 2}" y="${height - 4}" class="tick" text-anchor="middle">active pixels</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export function renderReport(result: BenchResult): string {
  const e = escapeHtml;
  const runs = result.runs;
  const colourOf = new Map(runs.map((r, i) => [runLabel(r), PALETTE[i % PALETTE.length]!]));
  const bars = runs
    .map((r) => ({ r, s: network(r) }))
    .filter((x): x is { r: EngineRun; s: Series } => x.s !== undefined)
    .map(({ r, s }) => ({ label: runLabel(r), median: s.wall.medianMs, p90: s.wall.p90Ms, colour: colourOf.get(runLabel(r))! }));
  const stageRows = runs
    .filter((r) => r.engine === 'ours')
    .flatMap((r) => r.series.filter((s) => Object.keys(s.stages).length > 0).map((s) => ({ label: `ours · ${r.config} · ${s.kind}`, stages: s.stages })));
  const runTable = runs
    .flatMap((r) =>
      r.series.map(
        (s) => `<tr><td>${e(r.engineLabel)}</td><td>${e(r.config)}</td><td>${e(s.kind)}</td><td>${fmt(r.loadMs, 0)}</td><td>${fmt(r.compileMs, 0)}</td><td>${fmt(r.exportMs, 0)}</td>` +
          `<td>${fmt(s.firstRunMs)}</td><td><b>${fmt(s.wall.medianMs)}</b></td><td>${fmt(s.wall.p90Ms)}</td><td>${fmt(s.wall.minMs)}</td><td>${fmt(s.gpu?.medianMs)}</td><td>${s.wall.n}</td><td>${e(s.timingSource)}</td></tr>`,
      ),
    )
    .join('\n');
  const stageNames = [...new Set(stageRows.flatMap((r) => Object.keys(r.stages)))];
  const stageTable = stageRows.length
    ? `<table><tr><th>run</th>${stageNames.map((s) => `<th>${e(s)}</th>`).join('')}</tr>${stageRows.map((r) => `<tr><td>${e(r.label)}</td>${stageNames.map((s) => `<td>${fmt(r.stages[s], 2)}</td>`).join('')}</tr>`).join('')}</table>`
    : '';
  const ratios = ratioRows(result)
    .map((r) => {
      const value = r.ratio === undefined ? `n/a` : `<b>${r.ratio.toFixed(3)}</b>`;
      const spread = r.range ? `${r.range[0].toFixed(3)}–${r.range[1].toFixed(3)}` : '–';
      const macs = r.macRatio !== undefined && r.ratio !== undefined ? `vs executed / dense head MACs ${r.macRatio.toFixed(3)} (time − MACs ${(r.ratio - r.macRatio).toFixed(3)})` : '';
      const verdict = r.note ?? (r.role === 'control' ? (r.withinNoise ? 'control (identical work): 1 within spread' : 'CONTROL OUTSIDE SPREAD: identical work differs, too noisy to compare') : macs);
      return `<tr class="${r.role === 'control' && r.withinNoise === false ? 'bad' : ''}"><td>${e(r.label)}</td><td>${value}</td><td>${spread}</td><td>${fmt(r.a.medianMs)} / ${fmt(r.b.medianMs)} ms</td><td>${e(verdict)}</td></tr>`;
    })
    .join('');
  const agreement = result.agreement
    .map((a) => `<tr class="${a.pass ? 'ok' : 'bad'}"><td>${e(a.peer)}</td><td>${e(a.config)}</td><td>${e(a.image)}</td><td>${a.worstRelative.toExponential(2)}</td><td>${e(a.worstTensor)}</td><td>${a.pass ? 'agree' : 'DIFFER'}</td></tr>`)
    .join('');
  const densities = runs
    .filter((r) => r.densities)
    .map((r) => Object.entries(r.densities!).map(([im, d]) => `${e(im)}: ${(d * 100).toFixed(1)} %`).join(', '))
    .join('; ');
  const macs = runs
    .filter((r) => r.engine === 'ours' && r.macs)
    .map((r) => `${e(r.config)}: executed ${(r.macs!.executed / 1e6).toFixed(1)} M of ${(r.macs!.denseFixed / 1e6).toFixed(1)} M dense-fixed head MACs`)
    .join('; ');
  const a = result.adapter;
  const sparse = result.sparse.map((c) => `<h3>${e(c.label)}</h3><p class="small">source: ${e(c.source)}</p>${sparsePlot(c)}`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Benchmark ${e(result.profile)} — ${e(result.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}td:first-child,th:first-child{text-align:left}
tr.bad td{background:#fbe3e3}tr.ok td:last-child{color:#2a7a3a}
.small{color:#666;font-size:12px}.errors{color:#b00}
svg.plot{display:block;margin:8px 0;background:#fff}
.plot .title{font-weight:600;font-size:13px}.plot .label{font-size:12px}.plot .tick{font-size:11px;fill:#555}.plot .value{font-size:11px}
.plot .grid{stroke:#eee}.plot .whisker{stroke:#333;stroke-width:1.5}.plot .unity{stroke:#b5404a;stroke-dasharray:4 3}.plot .crossover{stroke:#555;stroke-dasharray:2 3}
code{font-size:12px}
</style></head><body>
<h1>dynamic-head-webgpu — browser benchmark (${e(result.profile)})</h1>
<p>${e(result.description)}</p>
<p class="small">${e(result.startedAt)} · ${result.durationS.toFixed(0)} s · ${e(result.browser.name)} ${e(result.browser.version)} · ONNX Runtime Web ${e(result.ortVersion)} ·
${result.request.warmupRuns} warm-up + ${result.request.timedRuns} timed runs per series · tolerance ${result.request.tolerance}</p>
${result.errors.length ? `<p class="errors">Errors: ${result.errors.map(e).join('<br>')}</p>` : ''}
<h2>Adapter and machine</h2>
<table>
<tr><td>adapter</td><td>${e(Object.entries(a.info).map(([k, v]) => `${k}: ${v}`).join(' · '))}</td></tr>
<tr><td>timestamp-query</td><td>${a.timestampQuery ? 'yes' : 'no (wall clock)'}</td></tr>
<tr><td>features</td><td>${e(a.features.join(', '))}</td></tr>
<tr><td>key limits</td><td>${e(['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage'].filter((k) => k in a.limits).map((k) => `${k} ${a.limits[k]}`).join(' · '))}</td></tr>
<tr><td>browser</td><td>${e(a.userAgent)} · ${a.hardwareConcurrency} logical cores · crossOriginIsolated ${a.crossOriginIsolated}</td></tr>
<tr><td>machine</td><td>${e(`${result.machine.platform} · ${result.machine.cpus} × ${result.machine.cores} · ${result.machine.memoryGiB} GiB · Node ${result.machine.node}`)}</td></tr>
</table>
<h2>Latency (network: pre-processed input → head outputs on the host)</h2>
${latencyBars(bars, 'median wall-clock ms per run (whisker: p90)')}
<h2>Ratios</h2>
<p class="small">Series of our engine run interleaved (every timed round visits each configuration, in a rotated order). Spread: p25 of one side over p75 of the other, to p75 over p25. Controls are stages with the same work on both sides; when one falls outside its spread the machine was too noisy for the other ratios. Stages under ${TIMER_RESOLUTION_MS} ms on both sides get no ratio.</p>
<table><tr><th>ratio</th><th>median</th><th>spread</th><th>medians</th><th></th></tr>${ratios}</table>
${densities ? `<p>Dynamic head: mean depth-gate density over routers per image — ${densities}.</p>` : ''}
${macs ? `<p>Head MACs (first image): ${macs}.</p>` : ''}
<h2>Stage breakdown (ours; GPU passes by timestamp-query, CPU pre/post-processing by the clock)</h2>
${stageBars(stageRows, 'median ms per stage')}
${stageTable}
<h2>All series</h2>
<table><tr><th>engine</th><th>config</th><th>series</th><th>load (weights) ms</th><th>compile ms</th><th>export ms</th><th>first run ms</th><th>median ms</th><th>p90 ms</th><th>min ms</th><th>GPU median ms</th><th>n</th><th>GPU timer</th></tr>
${runTable}</table>
<p class="small">${runs.flatMap((r) => r.notes.map((n) => `${e(runLabel(r))}: ${e(n)}`)).join('<br>')}</p>
<h2>Agreement (same graph, same weights, same input)</h2>
<table><tr><th>peer</th><th>graph</th><th>image</th><th>max rel diff</th><th>worst tensor</th><th></th></tr>${agreement}</table>
<h2>Sparse / dense kernel curve</h2>
${sparse || '<p>No sparse curve in this run.</p>'}
</body></html>
`;
}
