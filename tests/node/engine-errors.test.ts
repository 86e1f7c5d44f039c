import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceLostError, InvalidArgumentError, UnsupportedImageError, WeightsFormatError } from '../../src/errors';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine } from '../../src/model/engine';
import { convertCheckpoint } from '../../src/weights/convert';
import { decodeHeader, encodeFileHead, parsePreamble, PREAMBLE_BYTES } from '../../src/weights/format';
import { decodeImage } from '../../src/cli/image';

// Bad input gets a typed error naming the problem, and the engine stays usable afterwards.
const fixture = 'tests/fixtures/reference/narrow-d8';
let runtime: GpuRuntime;
let weights: Uint8Array;
beforeAll(async () => {
  runtime = await createNodeRuntime();
  weights = convertCheckpoint(readFileSync(`${fixture}/checkpoint.pth`), { config: { input: { minSize: 64, maxSize: 128 } } }).bytes;
});
afterAll(() => runtime?.destroy());

/** The same file with its header's config changed (tensor data untouched). */
function withConfig(bytes: Uint8Array, edit: (config: ReturnType<typeof decodeHeader>['config']) => typeof config): Uint8Array {
  const preamble = parsePreamble(bytes);
  const header = decodeHeader(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + preamble.headerLength));
  const head = encodeFileHead({ ...header, config: edit(header.config) });
  const out = new Uint8Array(head.length + bytes.length - preamble.dataStart);
  out.set(head);
  out.set(bytes.subarray(preamble.dataStart), head.length);
  return out;
}

describe('typed errors from the engine', () => {
  it('a truncated weights file → WeightsFormatError', async () => {
    await expect(DetectorEngine.load(runtime, weights.slice(0, weights.length >> 1))).rejects.toBeInstanceOf(WeightsFormatError);
  });

  it('weights that do not match their config (D=9 declared, D=8 stored) → WeightsFormatError naming tensors', async () => {
    const mismatched = withConfig(weights, (c) => ({ ...c, head: { ...c.head, routersPerTower: 9 } }));
    const error = await DetectorEngine.load(runtime, mismatched).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect((error as Error).message).toContain('missing head.cls_subnet.8.scale_weight');
  });

  it('bad images → UnsupportedImageError / InvalidArgumentError, then the engine still detects', async () => {
    const engine = await DetectorEngine.load(runtime, weights);
    try {
      await expect(engine.detect({ data: new Uint8Array(0), width: 0, height: 0 })).rejects.toBeInstanceOf(UnsupportedImageError);
      await expect(engine.detect({ data: new Uint8Array(10), width: 4, height: 4 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(engine.detect({ data: new Uint8Array(4 * 1 * 100000), width: 100000, height: 1 })).rejects.toBeInstanceOf(UnsupportedImageError);
      expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]))).toThrow(UnsupportedImageError);
      const png = decodeImage(new Uint8Array(readFileSync(`${fixture}/wide-scene.png`)));
      const result = await engine.detect({ data: png.data, width: png.width, height: png.height }, { returnGates: true });
      expect(result.detections.length).toBeGreaterThan(0);
      expect(result.gates!.length).toBeGreaterThan(0);
      for (const g of result.gates!) expect(g.density).toBeGreaterThanOrEqual(0);
    } finally {
      engine.dispose();
    }
  });

  it('after a device loss, the engine says its weights must be reloaded; a reload works', async () => {
    const engine = await DetectorEngine.load(runtime, weights);
    runtime.device.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(engine.prepare(64, 128)).rejects.toBeInstanceOf(DeviceLostError);
    engine.dispose();
    const reloaded = await DetectorEngine.load(runtime, weights);
    const stats = await reloaded.prepare(64, 128);
    expect(stats.plannedBytes).toBeLessThan(stats.naiveBytes);
    reloaded.dispose();
  });
});
