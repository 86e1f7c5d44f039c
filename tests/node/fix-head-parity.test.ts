import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine, LEVEL_NAMES } from '../../src/model/engine';
import { convertCheckpoint } from '../../src/weights/convert';
import { relativeError } from '../harness/assert';

// The official Fix head (cvpods FCOSFixHead, fix_conv.py: the scale sum added unweighted, then
// the BasicBlock) against the engine: a zoo-layout Fix D4 checkpoint goes through the converter
// (which infers the fixed head) and the engine; its head outputs must match the official forward
// as tools/reference/zoo_parity.py computes it in float64 (FCOSFixHead.forward, written apart from
// the reference's own `fixed` mode).
const ZOO = 'tests/fixtures/zoo';
const TOLERANCE = 1e-4;

interface Golden {
  readonly checkpoint: string;
  readonly tensors: readonly { name: string; shape: number[]; offset: number; nbytes: number }[];
}

let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

/** NCHW [1, C, H, W] → NHWC. */
function nhwc(data: Float32Array, [, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let ch = 0; ch < c!; ch++) for (let p = 0; p < h! * w!; p++) out[p * c! + ch] = data[ch * h! * w! + p]!;
  return out;
}

describe('the official Fix head', () => {
  it('zoo Fix D4 checkpoint → converter → engine equals FCOSFixHead.forward', async () => {
    const golden = JSON.parse(readFileSync(path.join(ZOO, 'fix-d4-parity.json'), 'utf8')) as Golden;
    const bin = readFileSync(path.join(ZOO, 'fix-d4-parity.bin'));
    const tensor = (name: string) => {
      const t = golden.tensors.find((e) => e.name === name)!;
      return { shape: t.shape, data: new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + t.nbytes)) };
    };
    const converted = convertCheckpoint(gunzipSync(new Uint8Array(readFileSync(path.join(ZOO, golden.checkpoint)))), { fileName: golden.checkpoint });
    expect(converted.config.head.kind).toBe('fixed');
    const engine = await DetectorEngine.load(runtime, converted.bytes, { warmup: false });
    try {
      const input = tensor('input');
      const [, , h, w] = input.shape as [number, number, number, number];
      const result = await engine.runNetwork(nhwc(input.data, input.shape), h, w);
      let worst = 0;
      let worstName = '';
      for (const [l, level] of LEVEL_NAMES.entries()) {
        const out = result.levels[l]!;
        for (const [name, actual] of [
          [`head.cls_logits.${level}`, out.clsLogits],
          [`head.bbox_reg.${level}`, out.bboxReg],
          [`head.centerness.${level}`, out.centerness],
        ] as const) {
          const expected = tensor(name);
          const error = relativeError(actual, nhwc(expected.data, expected.shape));
          expect(error, name).toBeLessThanOrEqual(TOLERANCE);
          if (error >= worst) [worst, worstName] = [error, name];
        }
      }
      console.log(`official Fix D4 (zoo layout, ${h}×${w}): 15 head outputs, worst ${worst.toExponential(2)} (${worstName})`);
    } finally {
      engine.dispose();
    }
  });
});
