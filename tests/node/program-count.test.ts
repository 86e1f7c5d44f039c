import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BufferScope } from '../../src/gpu/buffers';
import { readBytes, type Stage } from '../../src/graph/graph';
import { buildDetectorGraph, readRequests } from '../../src/model/detector-graph';
import { stackedHeadWeights } from '../../src/model/head-weights';
import type { WeightTable } from '../../src/model/layers';
import { engineShape } from '../../src/model/weight-sink';
import { planPreprocess } from '../../src/ops/preprocess';
import type { Tensor } from '../../src/ops/tensor';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../../src/weights/config';
import { expectedTensors } from '../../src/weights/engine-tensors';
import { loadWeights } from '../../src/weights/loader';

// GPU programs per inference, counted from the real graph (the nodes' own build step, against a
// stand-in buffer scope, so no GPU memory is needed even for R50 at 800×1344): the launch
// structure of the head must not silently grow back (issue: level-packed, tower-batched head).

interface FakeBuffer {
  readonly size: number;
  readonly label: string;
}

/** A BufferScope stand-in whose buffers only have a size. */
function fakeScope(): BufferScope {
  const buffer = (size: number, label = 'fake'): FakeBuffer => ({ size: Math.max(16, Math.ceil(size / 16) * 16), label });
  return {
    storage: (n: number, label?: string) => buffer(n, label),
    upload: (data: ArrayBufferView, label?: string) => buffer(data.byteLength, label),
    uniform: (bytes: ArrayBuffer, label?: string) => buffer(bytes.byteLength, label),
    indirect: (count = 1, label?: string) => buffer(12 * count, label),
    write: () => undefined,
  } as unknown as BufferScope;
}

/** Every GPU tensor of `config` (engine layouts, the head's stacks) as fake buffers. */
function fakeWeights(config: ModelConfig): WeightTable {
  const table = new Map<string, Tensor>();
  const fake = (shape: readonly number[]) => ({ buffer: { size: shape.reduce((a, b) => a * b, 4) } as unknown as GPUBuffer, shape });
  const stacks = stackedHeadWeights(config);
  const stacked = new Set(stacks.flatMap((s) => s.parts.map((p) => p.source)));
  for (const t of expectedTensors(config)) if (!stacked.has(t.name)) table.set(t.name, fake(engineShape(t.name, t.shape)));
  for (const s of stacks) table.set(s.name, fake(s.shape));
  return table;
}

const INPUT_STAGE_PROGRAMS = 2;

function count(config: ModelConfig, height: number, width: number) {
  const sizes = planPreprocess(height, width, config.input);
  const detector = buildDetectorGraph(config, fakeWeights(config), ...sizes.paddedSize);
  const scope = fakeScope();
  const byStage: Partial<Record<Stage, number>> = {};
  let indirect = 0;
  // The engine's input stage encodes the Pillow resize's two passes ahead of the graph (one copy
  // program when no resize is needed); counted here as two.
  let total = INPUT_STAGE_PROGRAMS;
  byStage.preprocess = INPUT_STAGE_PROGRAMS;
  // Every value gets a fake buffer big enough for it (the memory plan is not what is counted).
  const ctx = {
    scope,
    tensor: (v: { shape: readonly number[] }) => ({ buffer: { size: v.shape.reduce((a, b) => a * b, 4) + 16 } as unknown as GPUBuffer, shape: v.shape }),
  };
  for (const node of detector.graph.nodes) {
    const programs = node.build(ctx);
    byStage[node.stage] = (byStage[node.stage] ?? 0) + programs.length;
    total += programs.length;
    indirect += programs.filter((p) => 'indirect' in p.dispatch).length;
  }
  // Bytes a detect reads back: the GPU candidates (default) vs every level's full maps (CPU path).
  const readback = {
    gpu: readBytes(detector.graph, readRequests(detector, { maps: false, candidates: true })),
    cpu: readBytes(detector.graph, readRequests(detector, { maps: true, candidates: false })),
    mapsWords: detector.head.levels.rows * (config.head.numClasses + 5),
  };
  return { byStage, indirect, total, padded: sizes.paddedSize, readback, selectsOnGpu: detector.candidates !== undefined };
}

describe('programs per inference', () => {
  const defaultWeights = new Uint8Array(readFileSync(new URL('../../weights/default/model.dhw', import.meta.url)));
  const r50d8 = DEFAULT_MODEL_CONFIG;
  const fixedD8: ModelConfig = { ...r50d8, head: { ...r50d8.head, kind: 'fixed' } };

  it('the default model (D4) at 160×160: ≤ 150 in total', async () => {
    const { config } = await loadWeights(defaultWeights);
    const c = count(config, 160, 160);
    console.log(`default D4 ${c.padded.join('×')}: ${JSON.stringify(c.byStage)}, total ${c.total}, indirect ${c.indirect}`);
    console.log(`default D4 ${c.padded.join('×')}, ${config.head.numClasses} classes: read-back ${c.readback.gpu} B (GPU candidates), ${c.readback.cpu} B (full maps)`);
    expect(c.total).toBeLessThanOrEqual(150);
    expect(c.byStage.candidates).toBe(4);
    expect(c.selectsOnGpu).toBe(true);
    expect(c.readback.gpu).toBeLessThan(c.readback.cpu);
  });

  it('R50-D8 at 800×1344: ≤ 300 in total, ≤ 64 indirect', () => {
    const c = count(r50d8, 800, 1333);
    expect(c.padded).toEqual([800, 1344]);
    console.log(`R50-D8 ${c.padded.join('×')}: ${JSON.stringify(c.byStage)}, total ${c.total}, indirect ${c.indirect}`);
    console.log(`R50-D8 ${c.padded.join('×')}, 80 classes: read-back ${c.readback.gpu} B (GPU candidates), ${c.readback.cpu} B (full maps)`);
    expect(c.total).toBeLessThanOrEqual(300);
    expect(c.indirect).toBeLessThanOrEqual(64);
    // Issue 16: an 80-class model at 800×1344 reads back ≤ 160 KB per detect (was ~7.6 MB).
    expect(r50d8.head.numClasses).toBe(80);
    expect(c.byStage.candidates).toBe(4);
    expect(c.readback.gpu).toBeLessThanOrEqual(160_000);
  });

  it('more than 1024 candidates a level: no GPU selection, the full maps are read back', () => {
    const wide: ModelConfig = { ...r50d8, test: { ...r50d8.test, topkCandidates: 2000 } };
    const c = count(wide, 800, 1333);
    expect(c.selectsOnGpu).toBe(false);
    expect(c.byStage.candidates).toBeUndefined();
    expect(c.readback.gpu).toBe(c.readback.cpu - 4 * c.readback.mapsWords);
  });

  it('a fixed D8 head: ≤ 120 head programs', () => {
    const c = count(fixedD8, 800, 1333);
    console.log(`fixed D8 ${c.padded.join('×')}: ${JSON.stringify(c.byStage)}, total ${c.total}, indirect ${c.indirect}`);
    expect(c.byStage.head ?? 0).toBeLessThanOrEqual(120);
    expect(c.indirect).toBe(0);
  });

  it('the FCOS baseline head (D2, NUM_CONVS 4): ≤ 32 head programs, every level in one dispatch per conv', () => {
    const fcos: ModelConfig = { ...r50d8, head: { ...r50d8.head, kind: 'fcos', routersPerTower: 2 } };
    const c = count(fcos, 800, 1333);
    console.log(`FCOS D2 ${c.padded.join('×')}: ${JSON.stringify(c.byStage)}, total ${c.total}, indirect ${c.indirect}`);
    // Per tower and conv: the packed conv over all levels + the two GroupNorm-statistics passes.
    expect(c.byStage.head).toBe(2 * 4 * 3);
    // The predictors (2) and the bbox tower's GroupNorm + ReLU written out for the box predictor (1).
    expect(c.byStage.predictor).toBe(3);
    expect(c.indirect).toBe(0);
  });
});
