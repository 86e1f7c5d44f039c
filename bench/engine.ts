/**
 * End-to-end engine timings in Node (Dawn; SwiftShader without a GPU) for one weights file and
 * one image, every series measured side by side in one run: the sparse (default) and the
 * dense-masked dynamic head, optionally the fixed head (a fixed checkpoint, or the dynamic file's
 * fixed twin), optionally the FCOS baseline head (an FCOS checkpoint's file, `--baseline`), and optionally the engine of another checkout (e.g. the commit before a change, in
 * a git worktree) with its own weights file. Rounds are interleaved (every round visits every
 * series, in a rotated order) so that machine drift lands on all series alike; each stage is
 * reported as median [min–max] over the rounds. Usage:
 *   node scripts/run-ts.mjs bench/engine.ts <weights.dhw> <image.png> [--runs N]
 *     [--fixed fixed.dhw | --fixed-twin] [--baseline fcos.dhw] [--no-dense] [--min-size N --max-size N]
 *     [--before <checkout> --before-weights <file.dhw>] [--json out.json] [--profile]
 * `--profile` ends with one more detect per series of this checkout with every GPU program timed
 * on its own, and lists the head's and predictor's programs by time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readImageFile } from '../src/cli/image';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import type { HeadExecution } from '../src/model/dynamic-head';
import { DetectorEngine } from '../src/model/engine';
import { DEFAULT_EXECUTION } from '../src/model/detector-graph';
import { planPreprocess } from '../src/ops/preprocess';
import { fixedHeadVariant } from '../src/weights/head-variant';
import { stats, type Stats } from './suite-types';

const USAGE =
  'usage: bench/engine.ts <weights.dhw> <image.png> [--runs N] [--fixed fixed.dhw | --fixed-twin] [--baseline fcos.dhw] [--no-dense] [--min-size N --max-size N] ' +
  '[--before <checkout> --before-weights <file.dhw>] [--json out.json] [--profile]';

/** What the bench reads from a detection result, in this checkout's engine or an older one's. */
interface RunRecord {
  readonly wallMs: number;
  readonly gpuMs: number;
  readonly stages: Record<string, number>;
  readonly detections: number;
  readonly macs: { readonly executed: number; readonly denseFixed: number };
}

interface Series {
  readonly label: string;
  readonly profile?: () => Promise<Record<string, number>>;
  readonly detect: () => Promise<RunRecord>;
  readonly dispose: () => void;
  readonly describe: string;
  readonly runs: RunRecord[];
}

type Stat = Stats;
const stat = stats;
const fmt = (s: Stat) => `${s.medianMs.toFixed(0)} [${s.minMs.toFixed(0)}–${s.maxMs.toFixed(0)}]`;
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** Loose view of a result of any engine version (field names changed over time). */
interface AnyResult {
  readonly detections: readonly unknown[];
  readonly macs: { readonly executed: number; readonly denseFixed: number };
  readonly timings: { readonly gpuMs: number; readonly gpuStages?: Record<string, number>; readonly passes?: Record<string, number> };
}

function record(result: AnyResult, wallMs: number): RunRecord {
  return {
    wallMs,
    gpuMs: result.timings.gpuMs,
    stages: { ...(result.timings.gpuStages ?? result.timings.passes ?? {}) },
    detections: result.detections.length,
    macs: { executed: result.macs.executed, denseFixed: result.macs.denseFixed },
  };
}

async function timed(detect: () => Promise<AnyResult>): Promise<RunRecord> {
  const t = performance.now();
  const result = await detect();
  return record(result, performance.now() - t);
}

/** Median, min and max over the rounds of series a's value / series b's value in the same round. */
function paired(series: readonly Series[], a: string, b: string, value: (r: RunRecord) => number): { median: number; min: number; max: number } {
  const ra = series.find((s) => s.label === a)!.runs;
  const rb = series.find((s) => s.label === b)!.runs;
  const q = ra.map((r, i) => value(r) / value(rb[i]!)).sort((x, y) => x - y);
  const mid = q.length >> 1;
  return { median: q.length % 2 ? q[mid]! : (q[mid - 1]! + q[mid]!) / 2, min: q[0]!, max: q.at(-1)! };
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      fixed: { type: 'string' },
      'fixed-twin': { type: 'boolean' },
      baseline: { type: 'string' },
      'no-dense': { type: 'boolean' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      before: { type: 'string' },
      'before-weights': { type: 'string' },
      json: { type: 'string' },
      profile: { type: 'boolean' },
    },
  });
  const [weightsPath, imagePath] = positionals;
  if (!weightsPath || !imagePath || (values.before !== undefined) !== (values['before-weights'] !== undefined) || (values.fixed && values['fixed-twin'])) {
    console.error(USAGE);
    return 2;
  }
  const runs = Number(values.runs ?? 5);
  const input = {
    ...(values['min-size'] ? { minSize: Number(values['min-size']) } : {}),
    ...(values['max-size'] ? { maxSize: Number(values['max-size']) } : {}),
  };
  const image = await readImageFile(imagePath);
  const runtime = await createNodeRuntime();
  console.log(`adapter: ${runtime.capabilities.adapterInfo.description || runtime.capabilities.adapterInfo.vendor}; timestamp-query ${runtime.capabilities.timestampQuery}`);
  const weights = new Uint8Array(readFileSync(weightsPath));
  const fixedWeights = values.fixed ? new Uint8Array(readFileSync(values.fixed)) : values['fixed-twin'] ? fixedHeadVariant(weights) : undefined;

  const configs: { label: string; bytes: Uint8Array; execution: HeadExecution }[] = [{ label: 'dynamic', bytes: weights, execution: DEFAULT_EXECUTION }];
  if (!values['no-dense']) configs.push({ label: 'dense-masked', bytes: weights, execution: { mode: 'dense-masked', crossover: 0 } });
  if (fixedWeights) configs.push({ label: 'fixed', bytes: fixedWeights, execution: { mode: 'dense-masked', crossover: 0 } });
  if (values.baseline) configs.push({ label: 'fcos-baseline', bytes: new Uint8Array(readFileSync(values.baseline)), execution: DEFAULT_EXECUTION });

  const series: Series[] = [];
  for (const c of configs) {
    const engine = await DetectorEngine.load(runtime, c.bytes, { input, execution: c.execution, warmup: { height: image.height, width: image.width } });
    const sizes = planPreprocess(image.height, image.width, engine.config.input);
    if (c.label === 'fcos-baseline' && engine.config.head.kind !== 'fcos') {
      console.error(`--baseline needs an FCOS baseline head file, ${values.baseline} has a ${engine.config.head.kind} head`);
      engine.dispose();
      return 2;
    }
    const plan = await engine.prepare(...sizes.paddedSize);
    const { weightsMs, compileMs } = engine.loadTimings;
    series.push({
      label: c.label,
      detect: () => timed(() => engine.detect(image)),
      profile: async () => (await engine.detect(image, { profile: true })).timings.gpuPrograms ?? {},
      dispose: () => engine.dispose(),
      describe:
        `input ${sizes.paddedSize.join('×')}; weights ${mib(engine.weightBytes)} MiB; planned activations ${mib(plan.plannedBytes)} MiB vs ${mib(plan.naiveBytes)} MiB naive ` +
        `(${plan.nodes} nodes, ${plan.programs} programs); load: weights ${weightsMs.toFixed(0)} ms, compile ${compileMs.toFixed(0)} ms`,
      runs: [],
    });
  }
  let disposeBefore = () => {};
  if (values.before) {
    // The other checkout's engine, through its own module graph and its own device.
    const dir = path.resolve(values.before);
    const gpu = (await import(path.join(dir, 'src/gpu/node-gpu.ts'))) as { createNodeRuntime: () => Promise<{ destroy(): void }> };
    const mod = (await import(path.join(dir, 'src/model/engine.ts'))) as {
      DetectorEngine: { load(runtime: unknown, bytes: Uint8Array, options: { input: typeof input }): Promise<{ detect(i: typeof image): Promise<AnyResult>; dispose(): void }> };
    };
    const beforeRuntime = await gpu.createNodeRuntime();
    const engine = await mod.DetectorEngine.load(beforeRuntime, new Uint8Array(readFileSync(values['before-weights']!)), { input });
    disposeBefore = () => {
      engine.dispose();
      beforeRuntime.destroy();
    };
    series.push({ label: `before (${path.basename(dir)})`, detect: () => timed(() => engine.detect(image)), dispose: () => {}, describe: `engine of ${dir}`, runs: [] });
  }

  // One untimed detect each (the older engine compiles its plan here), then interleaved rounds.
  const firsts: RunRecord[] = [];
  for (const s of series) firsts.push(await s.detect());
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < series.length; k++) {
      const s = series[(round + k) % series.length]!;
      s.runs.push(await s.detect());
    }
  }

  const report = series.map((s, i) => {
    const stages = Object.fromEntries([...new Set(s.runs.flatMap((r) => Object.keys(r.stages)))].map((k) => [k, stat(s.runs.map((r) => r.stages[k] ?? 0))]));
    const last = s.runs.at(-1)!;
    return {
      label: s.label,
      describe: s.describe,
      firstWallMs: firsts[i]!.wallMs,
      wall: stat(s.runs.map((r) => r.wallMs)),
      gpu: stat(s.runs.map((r) => r.gpuMs)),
      headPredictor: stat(s.runs.map((r) => (r.stages.head ?? 0) + (r.stages.predictor ?? 0))),
      stages,
      detections: last.detections,
      macs: last.macs,
    };
  });
  console.log(`${runs} interleaved rounds; GPU ms as median [min–max]`);
  for (const r of report) {
    console.log(
      `${r.label}: ${r.describe}; first detect ${r.firstWallMs.toFixed(0)} ms; wall ${fmt(r.wall)}, GPU ${fmt(r.gpu)}; ` +
        `${Object.entries(r.stages).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; ${r.detections} detections; ` +
        `head MACs executed ${(r.macs.executed / 1e6).toFixed(1)} M of ${(r.macs.denseFixed / 1e6).toFixed(1)} M dense`,
    );
  }
  const find = (label: string) => report.find((r) => r.label === label);
  const ratio = (a: Stat | undefined, b: Stat | undefined) => (a && b ? a.medianMs / b.medianMs : NaN);
  const dynamic = find('dynamic')!;
  const ratios: Record<string, number> = {};
  const fixed = find('fixed');
  if (fixed) {
    ratios.headDynamicOverFixed = ratio(dynamic.stages.head, fixed.stages.head);
    ratios.headMacsExecutedOverDense = dynamic.macs.executed / dynamic.macs.denseFixed;
    ratios.backboneDynamicOverFixed = ratio(dynamic.stages.backbone, fixed.stages.backbone);
    ratios.gpuDynamicOverFixed = ratio(dynamic.gpu, fixed.gpu);
    // The same ratio round by round: both runs of a round follow each other, so drift of the
    // machine's speed over the whole run (minutes) cancels in each round's ratio.
    const perRound = paired(series, 'dynamic', 'fixed', (r) => r.stages.head ?? NaN);
    ratios.headDynamicOverFixedPaired = perRound.median;
    console.log(
      `head dynamic / fixed ${ratios.headDynamicOverFixed.toFixed(3)} (round by round ${perRound.median.toFixed(3)} [${perRound.min.toFixed(3)}–${perRound.max.toFixed(3)}]) ` +
        `vs executed / dense head MACs ${ratios.headMacsExecutedOverDense.toFixed(3)} ` +
        `(margin ${(ratios.headDynamicOverFixed - ratios.headMacsExecutedOverDense).toFixed(3)}, round by round ${(perRound.median - ratios.headMacsExecutedOverDense).toFixed(3)}); ` +
        `control, identical backbones: ${ratios.backboneDynamicOverFixed.toFixed(3)}; whole GPU frame ${ratios.gpuDynamicOverFixed.toFixed(3)}`,
    );
  }
  const baseline = find('fcos-baseline');
  if (baseline) {
    ratios.headDynamicOverBaseline = ratio(dynamic.stages.head, baseline.stages.head);
    ratios.headPredictorDynamicOverBaseline = ratio(dynamic.headPredictor, baseline.headPredictor);
    ratios.headMacsExecutedOverBaseline = dynamic.macs.executed / baseline.macs.executed;
    ratios.gpuDynamicOverBaseline = ratio(dynamic.gpu, baseline.gpu);
    console.log(
      `head dynamic / FCOS baseline ${ratios.headDynamicOverBaseline.toFixed(3)} (head + predictor ${ratios.headPredictorDynamicOverBaseline.toFixed(3)}) vs executed head MACs ` +
        `${ratios.headMacsExecutedOverBaseline.toFixed(3)}; whole GPU frame ${ratios.gpuDynamicOverBaseline.toFixed(3)}`,
    );
  }
  const dense = find('dense-masked');
  if (dense) {
    ratios.headDynamicOverDenseMasked = ratio(dynamic.stages.head, dense.stages.head);
    console.log(`head dynamic (sparse) / dense-masked ${ratios.headDynamicOverDenseMasked.toFixed(3)}`);
  }
  const before = report.find((r) => r.label.startsWith('before'));
  if (before) {
    ratios.headPredictorSpeedup = ratio(before.headPredictor, dynamic.headPredictor);
    ratios.backboneBeforeOverNow = ratio(before.stages.backbone, dynamic.stages.backbone);
    ratios.gpuSpeedup = ratio(before.gpu, dynamic.gpu);
    console.log(
      `head + predictor: before ${fmt(before.headPredictor)} ms, now ${fmt(dynamic.headPredictor)} ms: ${ratios.headPredictorSpeedup.toFixed(2)}× faster; ` +
        `whole GPU frame ${ratios.gpuSpeedup.toFixed(2)}×; control, backbone before / now ${ratios.backboneBeforeOverNow.toFixed(3)}`,
    );
  }
  const profiles: Record<string, Record<string, number>> = {};
  if (values.profile) {
    for (const s of series) {
      if (!s.profile) continue;
      const programs = await s.profile();
      profiles[s.label] = programs;
      const head = Object.entries(programs).filter(([k]) => k.startsWith('head/') || k.startsWith('predictor/'));
      // Group by the label with its numbers dropped (e.g. every router's depth conv1 together).
      const groups = new Map<string, { ms: number; n: number }>();
      for (const [k, ms] of head) {
        const g = k.replace(/\d+/g, '#');
        const e = groups.get(g) ?? { ms: 0, n: 0 };
        groups.set(g, { ms: e.ms + ms, n: e.n + 1 });
      }
      const total = head.reduce((a, [, ms]) => a + ms, 0);
      console.log(`${s.label} profile: head + predictor ${total.toFixed(0)} ms over ${head.length} programs`);
      for (const [g, e] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${e.ms.toFixed(1).padStart(7)} ms  ${String(e.n).padStart(3)}×  ${g}`);
    }
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ weights: weightsPath, image: imagePath, input, runs, series: report, ratios, profiles }, null, 2));
  for (const s of series) s.dispose();
  disposeBefore();
  runtime.destroy();
  return 0;
}
