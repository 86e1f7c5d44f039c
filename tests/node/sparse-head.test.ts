import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { CompiledGraph } from '../../src/graph/executor';
import { Graph } from '../../src/graph/graph';
import { buildRouter, LEVEL_NAMES, planHead, type HeadExecution } from '../../src/model/dynamic-head';
import { DetectorEngine } from '../../src/model/engine';
import { LayerBuilder, type WeightTable } from '../../src/model/layers';
import { headMacs } from '../../src/model/macs';
import { readTap, type Taps } from '../../src/model/taps';
import { EngineWeightSink } from '../../src/model/weight-sink';
import type { ModelConfig } from '../../src/weights/config';
import { loadWeights } from '../../src/weights/loader';
import { relativeError } from '../harness/assert';
import { fixtureWeights } from '../harness/parity';
import { loadReferenceFixture, nodeFixtureReader, type ReferenceImage } from '../harness/reference-fixtures';

// The gather–scatter head must compute exactly what the dense-masked head computes: every router
// of both towers, fed the same inputs (the reference's previous router outputs), agrees to 1e-5
// of each tensor's max magnitude on every gate, mask and output, whether it runs sparse, takes
// the GPU-side dense fallback, or runs dense-masked. End to end, the counts the compactions
// report match the masks and give the reference's executed-MAC numbers exactly.
const read = nodeFixtureReader();
let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

const EXECUTIONS: Record<string, HeadExecution> = {
  sparse: { mode: 'sparse', crossover: 1 },
  'sparse, fallback above 30 %': { mode: 'sparse', crossover: 0.3 },
  'dense-masked': { mode: 'dense-masked', crossover: 0 },
};

/** Runs router i on both towers' inputs [2, R, C]; returns every tap. */
async function runRouter(weights: WeightTable, config: ModelConfig, i: number, input: Float32Array, sizes: [number, number][], execution: HeadExecution) {
  const graph = new Graph();
  const plan = planHead(config.head, sizes, execution);
  const x = graph.value('in', [2, plan.levels.rows, plan.channels]);
  const taps: Taps = new Map();
  const router = buildRouter(new LayerBuilder(graph, weights, 'head'), plan, i, x, taps);
  for (const tap of taps.values()) graph.markOutput(tap.value);
  graph.markOutput(router.output);
  const compiled = await CompiledGraph.compile(runtime, graph, `router ${i}`);
  try {
    const values = [...new Set([...taps.values()].map((t) => t.value))];
    const result = await compiled.run(values, { beforeSubmit: () => runtime.write(compiled.tensor(x).buffer, input) });
    return new Map([...taps].map(([name, tap]) => [name, readTap(result.outputs.get(tap.value)!, tap)]));
  } finally {
    compiled.dispose();
  }
}

/** Both towers' router-i inputs from the reference, packed [2, R, C]. */
function routerInput(image: ReferenceImage, i: number, sizes: [number, number][], c: number): Float32Array {
  const rows = sizes.reduce((n, [h, w]) => n + h * w, 0);
  const out = new Float32Array(2 * rows * c);
  ['cls_subnet', 'bbox_subnet'].forEach((tower, t) => {
    let at = t * rows * c;
    LEVEL_NAMES.forEach((p) => {
      const level = image.nhwc(i === 0 ? `fpn.${p}` : `${tower}.${i - 1}.out.${p}`).data;
      out.set(level, at);
      at += level.length;
    });
  });
  return out;
}

describe('sparse gather–scatter head vs the dense-masked head', () => {
  it('narrow-d8: every router of both towers equal to 1e-5, sparse, with the dense fallback and dense-masked', async () => {
    const fixture = await loadReferenceFixture('narrow-d8', read);
    const scope = runtime.scope('weights');
    try {
      const sink = new EngineWeightSink(scope, { stackHead: true });
      const loaded = await loadWeights(await fixtureWeights(fixture, read, 'dynamic'), { upload: sink });
      const weights = new Map([...loaded.tensors].filter(([n]) => !sink.isStacked(n)));
      for (const [n, t] of sink.stacked()) weights.set(n, t);
      const image = fixture.images[1]!;
      const sizes = image.info.level_sizes as [number, number][];
      let worst = 0;
      let compared = 0;
      for (let i = 0; i < loaded.config.head.routersPerTower; i++) {
        const input = routerInput(image, i, sizes, loaded.config.head.channels);
        const baseline = await runRouter(weights, loaded.config, i, input, sizes, EXECUTIONS['dense-masked']!);
        for (const [name, execution] of Object.entries(EXECUTIONS)) {
          if (execution.mode === 'dense-masked') continue;
          const taps = await runRouter(weights, loaded.config, i, input, sizes, execution);
          for (const [tensor, actual] of taps) {
            const error = relativeError(actual, baseline.get(tensor)!);
            worst = Math.max(worst, error);
            compared++;
            expect(error, `${tensor} (${name})`).toBeLessThanOrEqual(1e-5);
          }
        }
      }
      console.log(`narrow-d8: ${compared} router tensors compared, worst ${worst.toExponential(2)}`);
      expect(compared).toBeGreaterThan(900);
    } finally {
      scope.dispose();
    }
  });

  it('narrow-d8 end to end: the compactions count what the masks show, and the counts give the reference MAC numbers', async () => {
    const fixture = await loadReferenceFixture('narrow-d8', read);
    for (const execution of [EXECUTIONS.sparse!, EXECUTIONS['dense-masked']!]) {
      const engine = await DetectorEngine.load(runtime, await fixtureWeights(fixture, read, 'dynamic'), { execution });
      try {
        for (const image of fixture.images) {
          const [h, w] = image.info.padded_size;
          const result = await engine.runNetwork(image.nhwc('input').data as Float32Array, h, w, { taps: true });
          const counts = result.counts!;
          let checked = 0;
          for (const [name, tap] of result.taps) {
            const m = /^(.*)\.(depth\.mask|depth\.mask_dilated|scale\d\.gate)\.(p\d)$/.exec(name);
            if (!m) continue;
            const kind = m[2] === 'depth.mask' ? 'depth' : m[2] === 'depth.mask_dilated' ? 'depth.dilated' : m[2]!.slice(0, 6);
            expect(counts.get(`${m[1]}.${kind}.${m[3]}`), name).toBe(tap.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0));
            checked++;
          }
          expect(checked).toBe(2 * 8 * (5 + 5 + 4 + 4));
          const macs = headMacs(engine.config, result.levels.map((l) => [l.height, l.width] as const), counts);
          const reference = (image.info.macs as { head: { executed: number; dense_fixed: number; dense_dynamic: number } }).head;
          expect(macs).toEqual({ denseFixed: reference.dense_fixed, denseDynamic: reference.dense_dynamic, executed: reference.executed });
          console.log(`narrow-d8/${image.id} (${execution.mode}): executed ${macs.executed} of ${macs.denseFixed} dense-fixed head MACs (${((100 * macs.executed) / macs.denseFixed).toFixed(1)} %)`);
        }
      } finally {
        engine.dispose();
      }
    }
  });
});
