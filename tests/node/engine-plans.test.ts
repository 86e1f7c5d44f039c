import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine, type DetectionResult } from '../../src/model/engine';
import { convertCheckpoint } from '../../src/weights/convert';
import { rng } from '../harness/random';

// Plans are keyed by the padded network input only (the pre-processing is a per-run stage), plan
// compilation is single-flight, and replaced or evicted plans free their GPU memory: after
// dispose() no buffer or texture the engine made is left alive.
const fixture = 'tests/fixtures/reference/narrow-d8';
let runtime: GpuRuntime;
let weights: Uint8Array;

/** Live GPU buffers and textures of the runtime's device (created and not yet destroyed). */
const live = { buffers: new Set<GPUBuffer>(), textures: new Set<GPUTexture>() };

beforeAll(async () => {
  runtime = await createNodeRuntime();
  weights = convertCheckpoint(readFileSync(`${fixture}/checkpoint.pth`), { config: { input: { minSize: 64, maxSize: 128 } } }).bytes;
  const device = runtime.device;
  const createBuffer = device.createBuffer.bind(device);
  const createTexture = device.createTexture.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    live.buffers.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.buffers.delete(buffer);
      destroy();
    };
    return buffer;
  };
  device.createTexture = (descriptor: GPUTextureDescriptor) => {
    const texture = createTexture(descriptor);
    live.textures.add(texture);
    const destroy = texture.destroy.bind(texture);
    texture.destroy = () => {
      live.textures.delete(texture);
      destroy();
    };
    return texture;
  };
});
afterAll(() => runtime?.destroy());

function image(height: number, width: number, seed: number) {
  const next = rng(seed);
  // Smooth blobs plus noise, so the detector has something to find.
  const data = new Uint8Array(height * width * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const blob = Math.hypot(x - width * 0.4, y - height * 0.5) < Math.min(height, width) * 0.25 ? 200 : 40;
      data.set([blob, (x * 255) / width, (y * 255) / height, 255].map((v) => Math.min(255, v + next() * 30)), (y * width + x) * 4);
    }
  }
  return { data, height, width };
}

const summary = (r: DetectionResult) => r.detections.map((d) => `${d.classId}:${d.score.toFixed(5)}:${d.box.map((v) => v.toFixed(2)).join(',')}`).join(';');

describe('plans keyed by the padded size', () => {
  it('two images of different source sizes with the same padded size run on one plan', async () => {
    const engine = await DetectorEngine.load(runtime, weights, { warmup: false });
    try {
      const a = await engine.detect(image(100, 200, 1)); // 64×128
      const b = await engine.detect(image(113, 223, 2)); // 64×126 → padded 64×128
      expect(a.sizes.original).toEqual([100, 200]);
      expect(b.sizes.original).toEqual([113, 223]);
      expect(a.sizes.padded).toEqual(b.sizes.padded);
      expect(a.sizes.resized).not.toEqual(b.sizes.resized);
      expect(engine.planCompilations).toBe(1);
      // The pre-processing runs as its own timed pass ahead of the network.
      if (a.timings.gpuTimer !== 'wall-clock') expect(Object.keys(a.timings.gpuStages)).toContain('preprocess');
      // A third size compiles a second plan.
      await engine.detect(image(200, 100, 3));
      expect(engine.planCompilations).toBe(2);
    } finally {
      engine.dispose();
    }
  });

  it('10 concurrent first detect() calls on a cold engine compile one plan and agree; nothing is left alive after dispose()', async () => {
    const before = { buffers: live.buffers.size, textures: live.textures.size };
    const engine = await DetectorEngine.load(runtime, weights, { warmup: false });
    const input = image(100, 200, 4);
    const results = await Promise.all(Array.from({ length: 10 }, () => engine.detect(input)));
    expect(engine.planCompilations).toBe(1);
    expect(results[0]!.detections.length).toBeGreaterThan(0);
    for (const r of results) expect(summary(r)).toBe(summary(results[0]!));
    const during = live.buffers.size;
    engine.dispose();
    console.log(`concurrent detects: ${during - before.buffers} GPU buffers alive while loaded, ${live.buffers.size - before.buffers} after dispose`);
    expect(during).toBeGreaterThan(before.buffers);
    expect(live.buffers.size).toBe(before.buffers);
    expect(live.textures.size).toBe(before.textures);
  });

  it('mixed sizes at once, beyond the plan cache (4 padded sizes, 3 kept): right results, evicted plans freed', async () => {
    const before = live.buffers.size;
    const engine = await DetectorEngine.load(runtime, weights, { warmup: false });
    // Padded 64×128, 128×64, 64×64, 96×64 (evicts the first), 64×128 again (compiled again).
    const sizes: [number, number][] = [[100, 200], [200, 100], [128, 128], [150, 120], [100, 200], [64, 200]];
    const inputs = sizes.map(([h, w], i) => image(h, w, 10 + i));
    const alone = [];
    for (const input of inputs) alone.push(summary(await engine.detect(input)));
    const compiledAlone = engine.planCompilations;
    expect(compiledAlone).toBe(5);
    const together = await Promise.all(inputs.map((input) => engine.detect(input, { returnGates: true })));
    expect(together.map(summary)).toEqual(alone);
    engine.dispose();
    expect(live.buffers.size).toBe(before);
    expect(live.textures.size).toBe(0);
  });
});
