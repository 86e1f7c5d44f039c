import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { CompiledGraph } from '../../src/graph/executor';
import { Graph, type Value } from '../../src/graph/graph';
import { buildRouter, LEVEL_NAMES, type HeadExecution, type Taps } from '../../src/model/dynamic-head';
import { DetectorEngine } from '../../src/model/engine';
import { LayerBuilder, type WeightTable } from '../../src/model/layers';
import { headMacs } from '../../src/model/macs';
import { EngineWeightSink } from '../../src/model/weight-sink';
import type { ModelConfig } from '../../src/weights/config';
import { loadWeights } from '../../src/weights/loader';
import { relativeError } from '../harness/assert';
import { fixtureWeights } from '../harness/parity';
import { loadReferenceFixture, nodeFixtureReader, type ReferenceImage } from '../harness/reference-fixtures';

// The gather–scatter head must compute exactly what the dense-masked head computes: every router
// of both towers, fed the same inputs (the reference's previous router outputs), agrees to 1e-5
// of each tensor's max magnitude, whether it runs sparse or takes the GPU-side dense fallback.
// End to end, the counts it probes give the reference's executed-MAC numbers exactly.
const read = nodeFixtureReader();
let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

/** Runs one router on the given level inputs; returns its tapped tensors and outputs. */
async function runRouter(
  weights: WeightTable,
  config: ModelConfig,
  name: string,
  inputs: { shape: readonly number[]; data: Float32Array }[],
  execution: HeadExecution,
): Promise<Map<string, Float32Array>> {
  const graph = new Graph();
  const levels = inputs.map((t, l) => graph.value(`in.${LEVEL_NAMES[l]}`, t.shape));
  const taps: Taps = new Map();
  const layers = new LayerBuilder(graph, weights, 'head');
  buildRouter(layers, name, levels, config.head, execution, taps);
  for (const v of taps.values()) graph.markOutput(v);
  const compiled = await CompiledGraph.compile(runtime, graph, name);
  try {
    const wanted: Value[] = [...taps.values()];
    const result = await compiled.run(wanted, {
      beforeSubmit: () => levels.forEach((v, l) => runtime.write(compiled.tensor(v).buffer, inputs[l]!.data)),
    });
    return new Map([...taps].map(([n, v]) => [n, new Float32Array(result.outputs.get(v)!)]));
  } finally {
    compiled.dispose();
  }
}

function routerInputs(image: ReferenceImage, tower: string, i: number) {
  return LEVEL_NAMES.map((p) => {
    const t = image.nhwc(i === 0 ? `fpn.${p}` : `${tower}.${i - 1}.out.${p}`);
    return { shape: t.shape, data: t.data as Float32Array };
  });
}

describe('sparse gather–scatter head vs the dense-masked head', () => {
  it('narrow-d8: every router equal to 1e-5, sparse and with the dense fallback', async () => {
    const fixture = await loadReferenceFixture('narrow-d8', read);
    const scope = runtime.scope('weights');
    try {
      const loaded = await loadWeights(await fixtureWeights(fixture, read, 'dynamic'), { upload: new EngineWeightSink(scope) });
      const image = fixture.images[1]!;
      let worst = 0;
      let compared = 0;
      for (const tower of ['cls_subnet', 'bbox_subnet']) {
        for (let i = 0; i < loaded.config.head.routersPerTower; i++) {
          const inputs = routerInputs(image, tower, i);
          const name = `${tower}.${i}`;
          const baseline = await runRouter(loaded.tensors, loaded.config, name, inputs, { mode: 'dense-masked', crossover: 0 });
          for (const crossover of [0.9, 0]) {
            const sparse = await runRouter(loaded.tensors, loaded.config, name, inputs, { mode: 'sparse', crossover });
            for (const [tensor, actual] of sparse) {
              const expected = baseline.get(tensor);
              if (!expected) continue; // the sparse 0/1 gate mask has no dense-masked twin
              if (tensor.includes('.mask_dilated.')) {
                // dense-masked keeps the max-pooled gate as its dilated mask; sparse keeps 0/1.
                expect(actual.every((v, k) => v > 0 === expected[k]! > 0), tensor).toBe(true);
                continue;
              }
              const error = relativeError(actual, expected);
              worst = Math.max(worst, error);
              compared++;
              expect(error, `${tensor} (crossover ${crossover})`).toBeLessThanOrEqual(1e-5);
            }
          }
        }
      }
      console.log(`narrow-d8: ${compared} router tensors compared, worst ${worst.toExponential(2)}`);
      expect(compared).toBeGreaterThan(300);
    } finally {
      scope.dispose();
    }
  });

  it('narrow-d8 end to end, sparse and dense-masked: probed counts match the masks and give the reference MAC numbers', async () => {
    const fixture = await loadReferenceFixture('narrow-d8', read);
    for (const execution of [{ mode: 'sparse', crossover: 0.9, minSparsePixels: 0 }, { mode: 'dense-masked', crossover: 0 }] as const) {
    const engine = await DetectorEngine.load(runtime, await fixtureWeights(fixture, read, 'dynamic'), { execution });
    try {
      for (const image of fixture.images) {
        const [h, w] = image.info.padded_size;
        const result = await engine.runNetwork(image.nhwc('input').data as Float32Array, h, w, { taps: true });
        const counts = result.counts!;
        let checked = 0;
        for (const [name, map] of result.taps) {
          const m = /^(.*)\.depth\.(gate|mask_dilated)\.(p\d)$/.exec(name);
          if (!m) continue;
          const key = m[2] === 'gate' ? `${m[1]}.depth.${m[3]}` : `${m[1]}.depth.dilated.${m[3]}`;
          expect(counts.get(key), name).toBe(map.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0));
          checked++;
        }
        expect(checked).toBe(2 * 2 * 8 * 5);
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
