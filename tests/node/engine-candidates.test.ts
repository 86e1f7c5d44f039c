import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/cli/image';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine, type DetectionResult } from '../../src/model/engine';
import { sigmoid32 } from '../../src/model/fcos-postprocess';
import { exactSigmoidBits } from '../../src/reference/exact-sigmoid';
import { rng } from '../harness/random';

// The engine's default candidate path (selection on the GPU, only the candidates read back)
// against its CPU path (full maps read back, selected in fcos-postprocess.ts): identical
// detections, bit for bit, on the default model and the demo samples, at several thresholds;
// and what each path reads back and spends on the CPU.
let runtime: GpuRuntime;
beforeAll(async () => {
  runtime = await createNodeRuntime();
});
afterAll(() => runtime?.destroy());

const samplesDir = new URL('../../demo/samples/', import.meta.url);
const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.png'))
  .sort()
  .slice(0, 3);

function expectIdentical(gpu: DetectionResult, cpu: DetectionResult, what: string): void {
  expect(gpu.detections.length, what).toBe(cpu.detections.length);
  gpu.detections.forEach((g, i) => {
    const c = cpu.detections[i]!;
    const same = g.classId === c.classId && Object.is(g.score, c.score) && g.box.every((v, k) => Object.is(v, c.box[k]));
    expect(same, `${what}: detection ${i}: GPU ${JSON.stringify(g)}, CPU ${JSON.stringify(c)}`).toBe(true);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('GPU candidate selection in the engine', () => {
  it('default model, demo samples: GPU and CPU selection give identical detections at thresholds 0.05, 0 and 0.4, run after run', async () => {
    const engine = await DetectorEngine.load(runtime, new Uint8Array(readFileSync(new URL('../../weights/default/model.dhw', import.meta.url))));
    try {
      const post = { gpu: [] as number[], cpu: [] as number[] };
      const bytes = { gpu: new Set<number>(), cpu: new Set<number>() };
      let compared = 0;
      for (const file of samples) {
        const png = decodeImage(new Uint8Array(readFileSync(new URL(file, samplesDir))));
        const image = { data: png.data, width: png.width, height: png.height };
        let first: DetectionResult | undefined;
        // Thresholds change between runs of one plan (a per-run setting); 0 lets every one of
        // P3's locations × classes through, so its top-k cut applies on real data.
        for (const scoreThreshold of [0.05, 0, 0.4, 0.05]) {
          const gpu = await engine.detect(image, { scoreThreshold });
          const cpu = await engine.detect(image, { scoreThreshold, candidates: 'cpu' });
          expect(gpu.candidateSelection).toBe('gpu');
          expect(cpu.candidateSelection).toBe('cpu');
          expect(gpu.timings.gpuStages.candidates, 'the candidates stage is timed').toBeGreaterThanOrEqual(0);
          expectIdentical(gpu, cpu, `${file} at ${scoreThreshold}`);
          compared += gpu.detections.length;
          if (scoreThreshold === 0.05) {
            if (first) expectIdentical(gpu, first, `${file}: a later run at 0.05`);
            first = gpu;
            post.gpu.push(gpu.timings.postprocessMs);
            post.cpu.push(cpu.timings.postprocessMs);
          }
          bytes.gpu.add(gpu.readbackBytes);
          bytes.cpu.add(cpu.readbackBytes);
        }
      }
      console.log(
        `default model, ${samples.length} samples: ${compared} detections identical; read-back per detect ${[...bytes.gpu].join('/')} B (GPU candidates) vs ` +
          `${[...bytes.cpu].join('/')} B (full maps); post-processing median ${median(post.gpu).toFixed(2)} ms (GPU candidates) vs ${median(post.cpu).toFixed(2)} ms (CPU selection)`,
      );
      expect(bytes.gpu.size).toBe(1);
      expect([...bytes.gpu][0]!).toBeLessThan([...bytes.cpu][0]!);
    } finally {
      engine.dispose();
    }
  });

  it("the shader's integer sigmoid (BigInt spelling) equals the CPU's sigmoid32 on 10^5 random logits and the range edges", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const next = rng(5);
    const edges = [0, -0, 1e-45, -1e-45, 2 ** -26, -(2 ** -26), 16.635532, 16.635534, 20, 19.999998, -88.72283, -88.72284, -89, -88.99999, -87.33655, Infinity, -Infinity];
    const values = [...edges, ...Array.from({ length: 100_000 }, () => (next() * 2 - 1) * 100)];
    for (const x of values) {
      f[0] = x;
      const bits = u[0]!;
      f[0] = sigmoid32(f[0]!);
      expect(exactSigmoidBits(bits), `σ(${x})`).toBe(u[0]);
    }
    expect(exactSigmoidBits(0x7fc00000)).toBe(0x7fc00000);
  });
});
