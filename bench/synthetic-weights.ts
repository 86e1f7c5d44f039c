/**
 * A seeded `.dhw` for a configuration, with no checkpoint: every engine tensor drawn from a
 * fixed-seed generator at a scale that keeps activations finite through a ResNet-50 (He-scaled
 * conv weights with small biases; GroupNorm γ = 1, β = 0; gate biases around 0, so gate
 * densities land near one half; Scale = 1). For benchmarks on a machine the real checkpoints
 * cannot reach (the GPU bundle of `npm run bench:bundle`); detections from it mean nothing.
 */
import { DEFAULT_MODEL_CONFIG, withOverrides, type ModelConfig, type ModelConfigOverrides } from '../src/weights/config';
import { crc32 } from '../src/weights/crc32';
import { expectedTensors } from '../src/weights/engine-tensors';
import { encodeFileHead, layoutTensors, type WeightsHeader } from '../src/weights/format';

/** xorshift32 → uniform [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function fill(name: string, shape: readonly number[], out: Float32Array, next: () => number): void {
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  if (shape.length === 4) {
    const fanIn = shape[1]! * shape[2]! * shape[3]!;
    // Gate convs (one output each) a tenth of He scale: gate logits of order 1.
    const std = Math.sqrt(2 / fanIn) * (shape[0] === 1 ? 0.1 : 0.5);
    for (let i = 0; i < out.length; i++) out[i] = normal() * std;
    return;
  }
  // GroupNorm γ (`.norm.weight`, `convs.1.weight`), the path mixing weights and the Scales.
  if (/norm\.weight$|\.1\.weight$|_weight$|\.scale$/.test(name)) out.fill(1);
  else for (let i = 0; i < out.length; i++) out[i] = normal() * 0.01;
}

export function syntheticWeights(overrides: ModelConfigOverrides = {}, seed = 2020): { bytes: Uint8Array; config: ModelConfig } {
  const config = withOverrides(DEFAULT_MODEL_CONFIG, overrides);
  const expected = expectedTensors(config);
  const layout = layoutTensors(expected.map((e) => ({ name: e.name, shape: e.shape, dtype: 'f32' as const })));
  const draft: WeightsHeader = { config, tensors: layout.tensors, dataLength: layout.dataLength, source: { fileName: `synthetic seed ${seed}`, format: 'synthetic', converter: 'bench/synthetic-weights.ts' } };
  const start = encodeFileHead(draft).length;
  const bytes = new Uint8Array(start + layout.dataLength);
  const next = uniform(seed);
  const tensors = layout.tensors.map((t, i) => {
    const values = new Float32Array(bytes.buffer, start + t.offset, t.byteLength / 4);
    fill(t.name, expected[i]!.shape, values, next);
    return { ...t, crc32: crc32(bytes.subarray(start + t.offset, start + t.offset + t.byteLength)) };
  });
  const head = encodeFileHead({ ...draft, tensors });
  if (head.length !== start) throw new Error('internal: header size changed');
  bytes.set(head);
  return { bytes, config };
}
