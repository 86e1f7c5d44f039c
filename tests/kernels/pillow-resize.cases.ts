import type { GpuRuntime } from '../../src/gpu/runtime';
import { InputStage, type UploadPath } from '../../src/model/input-stage';
import { planResize, type ResizeLimits } from '../../src/ops/pillow-resize';
import type { PreprocessPlan } from '../../src/ops/preprocess';
import type { InputConfig } from '../../src/weights/config';
import { assert } from '../harness/assert';
import { emptyTensor, readTensor, withScope } from '../harness/gpu-data';
import { compareWithPillow, describePair, PILLOW_PAIRS, pillowSource, type PillowPair } from '../harness/pillow-fixtures';
import { defineKernelSuite } from '../harness/suite';

// The GPU resample (shaders/pillow-resize.wgsl through the engine's input stage) against
// Pillow's own output on every fixture pair (tests/fixtures/pillow-resize). With RGB order,
// mean 0, std 1 and no padding, the network input holds the resampled bytes themselves.
const RAW: InputConfig = { format: 'RGB', pixelMean: [0, 0, 0], pixelStd: [1, 1, 1], sizeDivisibility: 1, minSize: 1, maxSize: 1 };

/** Small pieces: many chunks and tiles, to show that cutting the image changes no byte. */
const TINY: Partial<ResizeLimits> = { tileBytes: 1 << 20, tileSide: 700, rowsBytes: 1 << 19 };

async function gpuResize(rt: GpuRuntime, pair: PillowPair, path: UploadPath, limits: Partial<ResizeLimits> = {}): Promise<Uint8Array> {
  const [h, w] = pair.source;
  const [th, tw] = pair.target;
  const sizes: PreprocessPlan = { originalSize: [h, w], resizedSize: [th, tw], paddedSize: [th, tw], scaleY: th / h, scaleX: tw / w };
  const stage = new InputStage(rt, limits);
  try {
    const values = await withScope(rt, 'pillow resize', async (scope) => {
      const out = emptyTensor(scope, [1, th, tw, 3]);
      const programs = await stage.stage({ data: pillowSource(pair), width: w, height: h }, RAW, sizes, out, path);
      await rt.run([programs]);
      return readTensor(rt, out);
    });
    const rgb = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      assert(Number.isInteger(values[i]) && values[i]! >= 0 && values[i]! <= 255, `value ${values[i]} at ${i} is not a byte`);
      rgb[i] = values[i]!;
    }
    return rgb;
  } finally {
    stage.dispose();
  }
}

async function expectPillow(rt: GpuRuntime, pairs: readonly PillowPair[], path: UploadPath, limits?: Partial<ResizeLimits>): Promise<void> {
  const failures: string[] = [];
  for (const pair of pairs) {
    const result = await compareWithPillow(pair, await gpuResize(rt, pair, path, limits));
    if (!result.identical) failures.push(`${describePair(pair)}: differs from Pillow (stored rows max |Δ| ${result.maxDiffStoredRows}${result.firstDiff ? `, ${result.firstDiff}` : ''})`);
  }
  assert(failures.length === 0, failures.join('\n'));
}

const BIG = PILLOW_PAIRS.filter((p) => p.source[0] * p.source[1] >= 1_000_000);
const SMALL = PILLOW_PAIRS.filter((p) => p.source[0] * p.source[1] < 1_000_000);

export default defineKernelSuite('pillow-resize', [
  {
    name: `${SMALL.length} smaller Pillow pairs (up/down, odd, 1-pixel, 10:1, identity) are byte-identical, from a buffer`,
    run: (rt) => expectPillow(rt, SMALL, 'buffer'),
  },
  {
    name: `${BIG.length} photo-sized Pillow pairs (4000×3000 → 1067×800, 1920×1080 → 1333×750, ...) are byte-identical, from a buffer`,
    run: (rt) => expectPillow(rt, BIG, 'buffer'),
  },
  {
    name: 'every Pillow pair is byte-identical from an rgba8unorm texture (exact unorm → byte)',
    run: (rt) => expectPillow(rt, PILLOW_PAIRS, 'texture'),
  },
  {
    name: 'cut into many chunks and tiles (1 MiB tiles, 700 px sides, 512 KiB of rows): still byte-identical, buffer and texture',
    run: async (rt) => {
      const pairs = PILLOW_PAIRS.filter((p) => ['noise', 'stripes'].includes(p.pattern) && p.source[0] * p.source[1] >= 400_000).slice(0, 5);
      assert(pairs.length === 5, 'expected 5 large pairs');
      for (const pair of pairs) {
        const [h, w] = pair.source;
        const [th, tw] = pair.target;
        const plan = planResize({ originalSize: [h, w], resizedSize: [th, tw], paddedSize: [th, tw], scaleY: 1, scaleX: 1 }, { tileBytes: 1 << 20, tileSide: 700, rowsBytes: 1 << 19 });
        assert(plan.chunks.length > 1 && plan.chunks.some((c) => c.tiles.length > 1), `${describePair(pair)} is not cut into pieces`);
      }
      await expectPillow(rt, pairs, 'buffer', TINY);
      await expectPillow(rt, pairs, 'texture', TINY);
    },
  },
]);
