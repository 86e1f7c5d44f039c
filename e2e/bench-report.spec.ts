import { expect, test } from '@playwright/test';
import { renderReport } from '../bench/report';
import { stats, type BenchResult, type EngineRun } from '../bench/suite-types';

// Renders a small generated benchmark report (bench/report.ts) and screenshots it: the page must
// be self-contained (no request leaves it) and show every section's plot. The full benchmark is
// `npm run bench`, not part of the test suite.
const jitter = (base: number) => Array.from({ length: 20 }, (_, i) => base * (1 + ((i * 7) % 10) / 50));

function series(kind: 'network' | 'pipeline', base: number, stages: Record<string, number>) {
  const samples = jitter(base);
  const stageStats = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stats(jitter(v))]));
  return { kind, firstRunMs: base * 3, wall: stats(samples), gpu: stats(samples.map((s) => s * 0.9)), stages, stageStats, timingSource: 'timestamp-query', samplesMs: samples };
}

function run(engine: string, config: string, base: number, stages = true): EngineRun {
  // The backbone differs between the sample's fixed and dynamic runs although it is the same work:
  // the report must flag that control. The FPN is equal on both sides (a control within spread).
  const st: Record<string, number> = stages ? { backbone: base * 0.4, fpn: 10, head: base * 0.4, predictor: base * 0.05 } : {};
  return {
    engine,
    engineLabel: engine === 'ours' ? 'ours (WebGPU, WGSL)' : `ONNX Runtime Web (${engine})`,
    config,
    loadMs: 12,
    compileMs: 340,
    exportMs: engine === 'ours' ? undefined : 25,
    series: engine === 'ours' ? [series('network', base, st), series('pipeline', base * 1.2, { 'pre-process (CPU)': 0.02, ...st, 'post-process (CPU)': 2 })] : [series('network', base, {})],
    notes: [],
    densities: config === 'dynamic' ? { 'image-a': 0.31 } : undefined,
  };
}

const sample: BenchResult = {
  kind: 'dynamic-head-webgpu browser benchmark',
  version: 1,
  profile: 'ci',
  description: 'generated sample <not a measurement>',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationS: 123,
  browser: { name: 'Chromium (Debian)', version: '0.0', args: [] },
  machine: { platform: 'Linux', cpus: 'test cpu', cores: 2, memoryGiB: 8, node: 'v22' },
  request: { profile: 'ci', description: '', warmupRuns: 3, timedRuns: 20, models: ['fixed', 'dynamic'], images: ['image-a'], peers: ['webgpu', 'wasm'], peerDynamic: true, ourSeries: ['network', 'pipeline'], sparseCurve: null, tolerance: 1e-3 },
  adapter: { info: { vendor: 'test', architecture: 'sample' }, features: ['timestamp-query'], limits: { maxBufferSize: 268435456 }, timestampQuery: true, userAgent: 'test', hardwareConcurrency: 2, crossOriginIsolated: true },
  runs: [run('ours', 'fixed', 100), run('ours', 'dynamic', 70), run('ort-webgpu', 'fixed', 150, false), run('ort-wasm', 'fixed', 400, false)],
  agreement: [
    { peer: 'ort-webgpu', config: 'fixed', image: 'image-a', worstRelative: 2e-6, worstTensor: 'cls.p3', pass: true },
    { peer: 'ort-wasm', config: 'fixed', image: 'image-a', worstRelative: 3e-6, worstTensor: 'bbox.p4', pass: true },
  ],
  sparse: [
    {
      source: 'browser',
      label: 'sample curve',
      series: [{ name: 'conv-block', points: [0, 0.2, 0.5, 0.8, 1].map((d) => ({ density: d, sparseMs: 5 + 100 * d, denseMs: 90, ratio: (5 + 100 * d) / 90 })) }],
      crossover: 0.85,
    },
  ],
  errors: [],
  ortVersion: '0.0.0',
};

test('the benchmark report renders self-contained with its plots and tables', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const html = renderReport(sample);
  expect(html).not.toMatch(/<script|<link|src=/);
  expect(html).toContain('&lt;not a measurement&gt;');
  await page.setContent(html);
  await expect(page.locator('h1')).toContainText('browser benchmark');
  // Latency bars, stage breakdown, sparse curve.
  await expect(page.locator('svg.plot')).toHaveCount(3);
  await expect(page.locator('svg.plot').first().locator('rect')).toHaveCount(4);
  await expect(page.getByText('ours fixed / ORT-web WebGPU fixed (network)')).toBeVisible();
  await expect(page.locator('tr.ok')).toHaveCount(2);
  // The crossover the curve implies (ratio (5 + 100 d) / 90 reaches 1 at d = 0.85).
  await expect(page.getByText('curve crosses 1 at 85 %; calibration chose 85 %')).toBeVisible();
  // Controls: the FPN (identical) within its spread, the backbone flagged, sub-resolution stages not divided.
  await expect(page.locator('tr', { hasText: 'stage fpn: dynamic / fixed' })).toContainText('control (identical work): 1 within spread');
  await expect(page.locator('tr.bad', { hasText: 'stage backbone: dynamic / fixed' })).toContainText('CONTROL OUTSIDE SPREAD');
  await expect(page.locator('tr', { hasText: 'stage pre-process (CPU): dynamic / fixed' })).toContainText('below the 0.1 ms timer resolution');
  await expect(page.locator('tr', { hasText: 'ours dynamic / ours fixed (network)' })).toContainText('0.700');
  expect(requests.filter((u) => !u.startsWith('data:') && u !== 'about:blank')).toEqual([]);
  const shot = await page.screenshot({ fullPage: true, path: test.info().outputPath('bench-report.png') });
  expect(shot.byteLength).toBeGreaterThan(10_000);
});
