import { InvalidArgumentError, UnsupportedImageError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { InputStage, type UploadPath } from '../../src/model/input-stage';
import { planPreprocess, validateRgbaPixels } from '../../src/ops/preprocess';
import { preprocessRef } from '../../src/reference/preprocess';
import type { InputConfig } from '../../src/weights/config';
import { assert, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, withScope } from '../harness/gpu-data';
import { rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

// The whole pre-processing on the GPU (input stage: Pillow resize + channel order + normalise +
// pad) against the CPU reference, bit for bit.
const BGR: InputConfig = {
  format: 'BGR',
  pixelMean: [103.53, 116.28, 123.675],
  pixelStd: [1, 1, 1],
  sizeDivisibility: 32,
  minSize: 48,
  maxSize: 80,
};

function randomRgba(height: number, width: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: height * width * 4 }, () => Math.floor(next() * 256));
}

/** Runs the input stage on an RGBA image and returns the NHWC network input. */
async function runPreprocess(rt: GpuRuntime, rgba: Uint8Array, height: number, width: number, input: InputConfig, path: UploadPath = 'buffer'): Promise<Float32Array> {
  const stage = new InputStage(rt);
  try {
    return await withScope(rt, 'preprocess', async (scope) => {
      const plan = planPreprocess(height, width, input);
      const out = emptyTensor(scope, [1, plan.paddedSize[0], plan.paddedSize[1], 3]);
      await rt.run([await stage.stage({ data: rgba, width, height }, input, plan, out, path)]);
      return readTensor(rt, out);
    });
  } finally {
    stage.dispose();
  }
}

function assertIdentical(got: Float32Array, expected: Float32Array, what: string): void {
  assert(got.length === expected.length, `${what}: ${got.length} values, expected ${expected.length}`);
  const at = got.findIndex((v, i) => !Object.is(v, expected[i]));
  assert(at < 0, `${what}: differs at ${at} (got ${got[at]}, expected ${expected[at]})`);
}

export default defineKernelSuite('preprocess', [
  {
    name: 'up- and down-scaling on odd sizes equals the CPU reference bit for bit (BGR, pad to 32), buffer and texture',
    run: async (rt) => {
      const cases: [number, number, InputConfig][] = [
        [37, 53, BGR], // up: 48×69 (pad 64×96)
        [101, 67, { ...BGR, minSize: 40, maxSize: 60 }], // down: 60×40, the max size binds
        [29, 290, { ...BGR, minSize: 32, maxSize: 100 }], // wide: 10×100, shorter side below minSize
        [7, 5, { ...BGR, minSize: 13, maxSize: 1000 }], // strong upscale 18×13
        [200, 3, { ...BGR, minSize: 2, maxSize: 150 }], // strong downscale of one axis
      ];
      for (const [i, [h, w, input]] of cases.entries()) {
        const rgba = randomRgba(h, w, 100 + i);
        const { data, plan } = preprocessRef(rgba, h, w, input);
        const what = `${h}×${w} → ${plan.resizedSize.join('×')} (padded ${plan.paddedSize.join('×')})`;
        assertIdentical(await runPreprocess(rt, rgba, h, w, input), data, `${what}, buffer`);
        assertIdentical(await runPreprocess(rt, rgba, h, w, input, 'texture'), data, `${what}, texture`);
      }
    },
  },
  {
    name: 'unchanged size copies exactly; RGB order, non-unit std and divisibility 1 and 7',
    run: async (rt) => {
      const h = 32;
      const w = 47;
      const rgba = randomRgba(h, w, 7);
      const identity: InputConfig = { ...BGR, minSize: 32, maxSize: 1000, sizeDivisibility: 1 };
      const got = await runPreprocess(rt, rgba, h, w, identity);
      assertIdentical(got, preprocessRef(rgba, h, w, identity).data, 'identity');
      assertIdentical(await runPreprocess(rt, rgba, h, w, identity, 'texture'), got, 'identity from a texture');
      // Pixel (1, 2), BGR: channel 0 is B (byte 2).
      const p = (1 * w + 2) * 4;
      assert(got[(1 * w + 2) * 3] === Math.fround(rgba[p + 2]! - Math.fround(103.53)), 'channel 0 must be blue');
      // Division by a standard deviation ≠ 1 may round differently on a GPU (WGSL allows 2.5 ULP).
      const rgb: InputConfig = { format: 'RGB', pixelMean: [120, 110, 100], pixelStd: [58.4, 57.1, 57.4], sizeDivisibility: 7, minSize: 40, maxSize: 64 };
      const got2 = await runPreprocess(rt, rgba, h, w, rgb);
      const ref2 = preprocessRef(rgba, h, w, rgb).data;
      const worst = got2.reduce((m, v, i) => Math.max(m, Math.abs(v - ref2[i]!)), 0);
      assert(got2.length === ref2.length && worst <= 1e-6, `RGB, std ≠ 1, divisibility 7: max |Δ| ${worst}`);
    },
  },
  {
    name: 'a 1×1 image upscaled to 2×2 is constant, and the padding is zero',
    run: async (rt) => {
      const rgba = new Uint8Array([10, 20, 30, 255]);
      const input: InputConfig = { ...BGR, minSize: 2, maxSize: 2, sizeDivisibility: 4 };
      const got = await runPreprocess(rt, rgba, 1, 1, input);
      const expected = new Float32Array(4 * 4 * 3);
      const f = Math.fround;
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 2; x++) expected.set([f(30 - f(103.53)), f(20 - f(116.28)), f(10 - f(123.675))], (y * 4 + x) * 3);
      }
      assertIdentical(got, expected, '1×1 → 2×2 padded 4×4');
    },
  },
  {
    name: 'bad images and arguments are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'invalid', async (scope) => {
        await assertRejects(() => validateRgbaPixels(new Uint8Array(0), 0, 5), UnsupportedImageError, 'empty');
        await assertRejects(() => validateRgbaPixels(new Uint8Array(4 * 6), 2, 2), InvalidArgumentError, 'needs 16 bytes');
        await assertRejects(() => validateRgbaPixels(new Uint8Array(4), 1.5, 1), InvalidArgumentError, 'height');
        await assertRejects(() => planPreprocess(1, 5000, { ...BGR, minSize: 800, maxSize: 1333 }), UnsupportedImageError, 'aspect ratio');
        await assertRejects(() => planPreprocess(10, 10, { ...BGR, pixelStd: [1, 0, 1] }), InvalidArgumentError, 'pixelStd');
        // No upper bound on the image itself: a 20 000-row photo plans fine (it is resampled in pieces).
        planPreprocess(20000, 1000, { ...BGR, minSize: 800, maxSize: 1333 });
        const stage = new InputStage(rt);
        try {
          const plan = planPreprocess(10, 12, BGR); // 48×58, padded 64×64
          const image = { data: randomRgba(10, 12, 1), width: 12, height: 10 };
          await assertRejects(() => stage.stage(image, BGR, plan, emptyTensor(scope, [1, 48, 58, 3])), InvalidArgumentError, 'out');
        } finally {
          stage.dispose();
        }
      }),
  },
]);
