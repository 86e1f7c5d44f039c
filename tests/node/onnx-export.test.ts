import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { relativeError } from '../harness/assert';
import { LEVEL_NAMES } from '../../src/model/dynamic-head';
import { exportOnnx, onnxModelType } from '../../src/onnx/export';
import { convertCheckpoint } from '../../src/weights/convert';
import { loadWeights } from '../../src/weights/loader';
import { loadReferenceFixture, nchwToNhwc, nodeFixtureReader } from '../harness/reference-fixtures';

/**
 * The ONNX exporter (src/onnx/export.ts) against the PyTorch reference's golden head outputs:
 * the exported graph runs on onnxruntime-web's wasm backend in Node, fed the fixture's
 * pre-processed input, and every head output must match within 1e-3 · max |ref| — the fixed head
 * (the benchmark's comparison graph) on narrow-d4-fixed, and the dynamic head's dense-masked
 * formulation on narrow-d4 (masked inference).
 */
const read = nodeFixtureReader();
ort.env.wasm.numThreads = 1;

describe('ONNX export', () => {
  for (const [fixtureName, headKind] of [
    ['narrow-d4-fixed', 'fixed'],
    ['narrow-d4', 'dynamic'],
  ] as const) {
    it(`${fixtureName}: the ${headKind === 'fixed' ? 'fixed' : 'dynamic-dense'} head on ORT wasm matches the reference head outputs`, async () => {
      const fixture = await loadReferenceFixture(fixtureName, read);
      const image = fixture.images[0]!;
      const converted = convertCheckpoint(await read(fixture.checkpointPath), { headKind });
      const weights = await loadWeights(converted.bytes);
      const [h, w] = image.info.padded_size;
      const exported = exportOnnx(weights.config, weights.tensors, { height: h, width: w });
      expect(exported.head).toBe(headKind === 'fixed' ? 'fixed' : 'dynamic-dense');
      // The bytes are a well-formed ModelProto.
      const decoded = onnxModelType().decode(exported.bytes) as unknown as { graph: { node: unknown[]; output: unknown[] } };
      expect(decoded.graph.node.length).toBe(exported.nodeCount);
      expect(decoded.graph.output.length).toBe(15);

      const session = await ort.InferenceSession.create(exported.bytes, { executionProviders: ['wasm'] });
      try {
        const input = image.tensor('input');
        const feeds = { [exported.input]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) };
        const results = await session.run(feeds);
        let worst = 0;
        let worstName = '';
        exported.outputs.forEach((o, l) => {
          const p = LEVEL_NAMES[l];
          for (const [ours, ref] of [
            [o.clsLogits, `head.cls_logits.${p}`],
            [o.bboxReg, `head.bbox_reg.${p}`],
            [o.centerness, `head.centerness.${p}`],
          ] as const) {
            const t = results[ours]!;
            const nhwc = nchwToNhwc(t.data as Float32Array, t.dims);
            const error = relativeError(nhwc, image.nhwc(ref).data);
            if (error > worst) [worst, worstName] = [error, ref];
            expect(error, `${fixtureName}: ${ref}`).toBeLessThanOrEqual(1e-3);
          }
        });
        console.log(`${fixtureName}: ${exported.nodeCount} ONNX nodes (${exported.head}), worst head output vs reference ${worst.toExponential(2)} (${worstName})`);
      } finally {
        await session.release();
      }
    });
  }

  it('refuses input sizes that are not multiples of the size divisibility', async () => {
    const fixture = await loadReferenceFixture('narrow-d4-fixed', read);
    const converted = convertCheckpoint(await read(fixture.checkpointPath), { headKind: 'fixed' });
    const weights = await loadWeights(converted.bytes);
    expect(() => exportOnnx(weights.config, weights.tensors, { height: 100, width: 128 })).toThrow(/multiples of 32/);
    expect(() => exportOnnx(weights.config, weights.tensors, { height: 128, width: 128, head: 'dynamic-dense' })).toThrow(/dynamic checkpoint/);
  });
});
