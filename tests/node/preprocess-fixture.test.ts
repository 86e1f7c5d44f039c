import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { InputStage } from '../../src/model/input-stage';
import { computeResizedSize, planPreprocess } from '../../src/ops/preprocess';
import { preprocessRef } from '../../src/reference/preprocess';
import type { InputConfig } from '../../src/weights/config';
import { emptyTensor, readTensor, withScope } from '../harness/gpu-data';
import { loadReferenceFixture, nodeFixtureReader, type ReferenceFixture } from '../harness/reference-fixtures';

// Pre-processing against the offline reference (Pillow BILINEAR on the uint8 image, as the
// official pipeline): the fixture PNGs through the CPU reference and the GPU input stage must
// reproduce each fixture's `input` tensor bit for bit.
const CONFIGS = ['narrow-d4', 'narrow-d8', 'narrow-d4-fixed'];
const reader = nodeFixtureReader();

function inputConfig(fixture: ReferenceFixture): InputConfig {
  const c = fixture.manifest.config;
  return {
    format: c.input_format,
    pixelMean: c.pixel_mean,
    pixelStd: c.pixel_std,
    sizeDivisibility: c.size_divisibility,
    minSize: c.min_size,
    maxSize: c.max_size,
  };
}

describe('computeResizedSize (Detectron2 ResizeShortestEdge)', () => {
  it('matches hand-checked values, including the official 800 / 1333', () => {
    expect(computeResizedSize(480, 640, 800, 1333)).toEqual([800, 1067]);
    expect(computeResizedSize(640, 480, 800, 1333)).toEqual([1067, 800]);
    expect(computeResizedSize(427, 640, 800, 1333)).toEqual([800, 1199]);
    expect(computeResizedSize(300, 1000, 800, 1333)).toEqual([400, 1333]); // max size binds
    expect(computeResizedSize(800, 800, 800, 1333)).toEqual([800, 800]);
    // int(v + 0.5): 2.5 rounds up, as Python's int() of 3.0.
    expect(computeResizedSize(2, 5, 1, 100)).toEqual([1, 3]);
  });

  it('reproduces every fixture image size', async () => {
    for (const name of CONFIGS) {
      const fixture = await loadReferenceFixture(name, reader);
      const input = inputConfig(fixture);
      for (const image of fixture.images) {
        const [h, w] = image.info.original_size;
        const plan = planPreprocess(h, w, input);
        expect(plan.resizedSize).toEqual(image.info.resized_size);
        expect(plan.paddedSize).toEqual(image.info.padded_size);
        expect(plan.scaleY).toBe(image.info.scale_y);
        expect(plan.scaleX).toBe(image.info.scale_x);
      }
    }
  });
});

describe('pre-processing of the fixture PNGs', () => {
  let runtime: GpuRuntime;
  beforeAll(async () => {
    runtime = await createNodeRuntime();
  });
  afterAll(() => runtime?.destroy());

  for (const name of CONFIGS) {
    it(`${name}: CPU reference and GPU input stage reproduce the fixture input bit for bit`, async () => {
      const fixture = await loadReferenceFixture(name, reader);
      const input = inputConfig(fixture);
      for (const image of fixture.images) {
        const png = PNG.sync.read(Buffer.from(await reader(image.pngPath)));
        const [h, w] = image.info.original_size;
        expect([png.height, png.width]).toEqual([h, w]);
        const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
        const expected = image.nhwc('input');
        const ref = preprocessRef(rgba, h, w, input);
        const mismatch = ref.data.findIndex((v, i) => v !== expected.data[i]);
        expect(mismatch, `${name}/${image.id} CPU reference differs at ${mismatch}`).toBe(-1);
        const stage = new InputStage(runtime);
        const got = await withScope(runtime, 'fixture preprocess', async (scope) => {
          const out = emptyTensor(scope, [1, ...image.info.padded_size, 3]);
          await runtime.run([await stage.stage({ data: rgba, width: w, height: h }, input, planPreprocess(h, w, input), out)]);
          return readTensor(runtime, out);
        }).finally(() => stage.dispose());
        const gpuMismatch = got.findIndex((v, i) => v !== expected.data[i]);
        expect(gpuMismatch, `${name}/${image.id} GPU differs at ${gpuMismatch}`).toBe(-1);
      }
    });
  }
});
