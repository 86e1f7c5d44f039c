/**
 * The benchmark a lent GPU machine runs from the bundle of `npm run bench:bundle` (no network,
 * no node_modules there): a seeded R50-D8 model made on the spot (bench/synthetic-weights.ts),
 * run dense-masked and dynamic (sparse) at 800×1333 on the real driver, and a JSON report:
 * adapter, per-stage GPU times (timestamp queries), programs per frame, first vs warm detect,
 * gate densities and head MACs. Usage (inside the bundle: `node gpu-run.js ...`):
 *   gpu-run [--out report.json] [--runs N] [--size HxW] [--small]
 * `--small`: a narrow model on a small image, to check the bundle end to end on SwiftShader.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import type { HeadExecution } from '../src/model/dynamic-head';
import { DEFAULT_EXECUTION } from '../src/model/detector-graph';
import { DetectorEngine } from '../src/model/engine';
import { planPreprocess } from '../src/ops/preprocess';
import { stats as stat, type Stats as Stat } from './suite-types';
import { syntheticWeights } from './synthetic-weights';

/** A deterministic test image: smooth gradients with a few bright blobs. */
function image(height: number, width: number) {
  const data = new Uint8Array(height * width * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const blob = Math.hypot(x - width * 0.3, y - height * 0.4) < Math.min(height, width) * 0.15 || Math.hypot(x - width * 0.7, y - height * 0.6) < Math.min(height, width) * 0.1;
      const i = (y * width + x) * 4;
      data[i] = blob ? 230 : (x * 255) / width;
      data[i + 1] = blob ? 60 : (y * 255) / height;
      data[i + 2] = blob ? 40 : 128;
      data[i + 3] = 255;
    }
  }
  return { data, height, width };
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, runs: { type: 'string' }, size: { type: 'string' }, small: { type: 'boolean' } } });
  const small = values.small ?? false;
  const runs = Number(values.runs ?? (small ? 2 : 10));
  const [height, width] = (values.size ?? (small ? '96x128' : '800x1333')).split('x').map(Number) as [number, number];
  const t0 = performance.now();
  const overrides = small
    ? { backbone: { depth: 14, stageBlocks: [1, 1, 1, 1], stemChannels: 8, res2Channels: 16, widthPerGroup: 4 }, fpn: { channels: 32 }, head: { channels: 32, routersPerTower: 2, numClasses: 8 }, input: { minSize: height, maxSize: Math.max(height, width) } }
    : { input: { minSize: Math.min(height, width), maxSize: Math.max(height, width) } };
  const weights = syntheticWeights(overrides);
  const generateMs = performance.now() - t0;
  const runtime = await createNodeRuntime();
  const adapter = runtime.capabilities.adapterInfo;
  const input = image(height, width);
  const series: Record<string, unknown>[] = [];
  const executions: [string, HeadExecution][] = [
    ['dense-masked', { mode: 'dense-masked', crossover: 0 }],
    ['dynamic (sparse)', DEFAULT_EXECUTION],
  ];
  const engines = [];
  for (const [label, execution] of executions) {
    const t1 = performance.now();
    const engine = await DetectorEngine.load(runtime, weights.bytes, { execution, warmup: { height, width } });
    const loadMs = performance.now() - t1;
    const t2 = performance.now();
    const first = await engine.detect(input);
    const firstMs = performance.now() - t2;
    const sizes = planPreprocess(height, width, engine.config.input);
    const plan = await engine.prepare(...sizes.paddedSize);
    engines.push({ label, engine, loadMs, firstMs, first, plan, warm: [] as Awaited<ReturnType<typeof engine.detect>>[], walls: [] as number[] });
  }
  // Interleaved warm rounds, the order rotated each round.
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(r + k) % engines.length]!;
      const t = performance.now();
      e.warm.push(await e.engine.detect(input));
      e.walls.push(performance.now() - t);
    }
  }
  for (const e of engines) {
    const stages = [...new Set(e.warm.flatMap((w) => Object.keys(w.timings.gpuStages)))];
    const last = e.warm.at(-1) ?? e.first;
    series.push({
      label: e.label,
      input: { image: [height, width], padded: last.sizes.padded },
      loadMs: e.loadMs,
      loadTimings: e.engine.loadTimings,
      firstDetectMs: e.firstMs,
      warmWallMs: stat(e.walls),
      gpuMs: stat(e.warm.map((w) => w.timings.gpuMs)),
      gpuTimer: last.timings.gpuTimer,
      gpuStages: Object.fromEntries(stages.map((s) => [s, stat(e.warm.map((w) => w.timings.gpuStages[s] ?? 0))])),
      programsPerFrame: e.plan.programs,
      plannedActivationBytes: e.plan.plannedBytes,
      weightBytes: e.engine.weightBytes,
      detections: last.detections.length,
      headMacs: last.macs,
      meanRouterDensity: last.routerDensities ? Object.values(last.routerDensities).reduce((a, b) => a + b, 0) / Object.values(last.routerDensities).length : undefined,
    });
    e.engine.dispose();
  }
  const report = {
    generator: 'dynamic-head-webgpu bench/gpu-run.ts',
    date: new Date().toISOString(),
    node: process.version,
    adapter: { vendor: adapter.vendor, architecture: adapter.architecture, description: adapter.description, timestampQuery: runtime.capabilities.timestampQuery },
    model: { backbone: weights.config.backbone.depth, stageBlocks: weights.config.backbone.stageBlocks, headChannels: weights.config.head.channels, routersPerTower: weights.config.head.routersPerTower, classes: weights.config.head.numClasses, weights: 'synthetic (seeded)', generateMs },
    runs,
    series,
  };
  runtime.destroy();
  const text = JSON.stringify(report, null, 2);
  if (values.out) writeFileSync(values.out, text);
  else console.log(text);
  const dense = series[0] as { gpuMs: Stat };
  const dynamic = series[1] as { gpuMs: Stat };
  console.error(`${adapter.description || adapter.vendor}: GPU per frame dense-masked ${dense.gpuMs.medianMs.toFixed(1)} ms, dynamic ${dynamic.gpuMs.medianMs.toFixed(1)} ms (${runs} warm runs each)`);
  return 0;
}
