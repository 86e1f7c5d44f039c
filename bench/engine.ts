/**
 * End-to-end engine timings in Node (Dawn; SwiftShader without a GPU) for one weights file and
 * one image: planned vs naive activation memory, pipeline compilation, first run, steady state,
 * per-stage GPU times, for the sparse (default) and dense-masked dynamic head and, given a fixed
 * checkpoint, the fixed head. Usage:
 *   node scripts/run-ts.mjs bench/engine.ts <weights.dhw> <image.png> [--runs N] [--fixed fixed.dhw]
 *     [--min-size N --max-size N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readImageFile } from '../src/cli/image';
import { createNodeRuntime } from '../src/gpu/node-gpu';
import type { HeadExecution } from '../src/model/dynamic-head';
import { DetectorEngine } from '../src/model/engine';
import { DEFAULT_EXECUTION } from '../src/model/detector-graph';
import { planPreprocess } from '../src/ops/preprocess';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { runs: { type: 'string' }, fixed: { type: 'string' }, 'min-size': { type: 'string' }, 'max-size': { type: 'string' } },
  });
  const [weightsPath, imagePath] = positionals;
  if (!weightsPath || !imagePath) {
    console.error('usage: bench/engine.ts <weights.dhw> <image.png> [--runs N] [--fixed fixed.dhw] [--min-size N --max-size N]');
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
  const configs: { label: string; file: string; execution: HeadExecution }[] = [
    { label: 'dynamic, default (sparse, dense fallback above the crossover)', file: weightsPath, execution: DEFAULT_EXECUTION },
    { label: 'dynamic, dense-masked', file: weightsPath, execution: { mode: 'dense-masked', crossover: 0 } },
  ];
  if (values.fixed) configs.push({ label: 'fixed (static head)', file: values.fixed, execution: { mode: 'dense-masked', crossover: 0 } });
  for (const c of configs) {
    // Warm start for this image's size: load = weights, compile = the plan, each measured on its own.
    const engine = await DetectorEngine.load(runtime, readFileSync(c.file), { input, execution: c.execution, warmup: { height: image.height, width: image.width } });
    const sizes = planPreprocess(image.height, image.width, engine.config.input);
    const { weightsMs, compileMs } = engine.loadTimings;
    const plan = await engine.prepare(...sizes.paddedSize);
    const t1 = performance.now();
    const first = await engine.detect(image);
    const firstMs = performance.now() - t1;
    const walls: number[] = [];
    const gpu: number[] = [];
    const stages: Record<string, number[]> = {};
    let last = first;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      last = await engine.detect(image);
      walls.push(performance.now() - t);
      gpu.push(last.timings.gpuMs);
      for (const [k, v] of Object.entries(last.timings.gpuStages)) (stages[k] ??= []).push(v);
      (stages['pre-process (CPU)'] ??= []).push(last.timings.preprocessMs);
      (stages['post-process (CPU)'] ??= []).push(last.timings.postprocessMs);
    }
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    console.log(
      `${c.label}: input ${sizes.paddedSize.join('×')}; weights ${mib(engine.weightBytes)} MiB; planned activations ${mib(plan.plannedBytes)} MiB ` +
        `vs ${mib(plan.naiveBytes)} MiB naive (${plan.nodes} nodes, ${plan.programs} programs); load: weights ${weightsMs.toFixed(0)} ms, compile ${compileMs.toFixed(0)} ms; ` +
        `first detect ${firstMs.toFixed(0)} ms (of which compile ${first.timings.compileMs.toFixed(0)} ms); steady median wall ${median(walls).toFixed(0)} ms, ` +
        `GPU ${median(gpu).toFixed(0)} ms (${last.timings.gpuTimer}; by stage, CPU stages included: ${Object.entries(stages).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ')}); ${last.detections.length} detections; ` +
        `head MACs executed ${(last.macs.executed / 1e6).toFixed(1)} M of ${(last.macs.denseFixed / 1e6).toFixed(1)} M dense-fixed`,
    );
    engine.dispose();
  }
  runtime.destroy();
  return 0;
}
