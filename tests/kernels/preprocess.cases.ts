import { InvalidArgumentError, UnsupportedImageError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { planPreprocess, preprocessProgram, uploadRgbaImage } from '../../src/ops/preprocess';
import { preprocessRef } from '../../src/reference/preprocess';
import type { InputConfig } from '../../src/weights/config';
import { assert, assertClose, assertRejects } from '../harness/assert';
import { emptyTensor, readTensor, withScope } from '../harness/gpu-data';
import { rng } from '../harness/random';
import { defineKernelSuite } from '../harness/suite';

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

/** Runs the kernel on an RGBA image and returns the NHWC output and its plan. */
async function runPreprocess(
  rt: GpuRuntime,
  rgba: Uint8Array,
  height: number,
  width: number,
  input: InputConfig,
): Promise<Float32Array> {
  return withScope(rt, 'preprocess', async (scope) => {
    const plan = planPreprocess(height, width, input);
    const out = emptyTensor(scope, [1, plan.paddedSize[0], plan.paddedSize[1], 3]);
    await rt.run([preprocessProgram(scope, uploadRgbaImage(scope, rgba, height, width), out, input)]);
    return readTensor(rt, out);
  });
}

export default defineKernelSuite('preprocess', [
  {
    name: 'up- and down-scaling on odd sizes matches the CPU reference (BGR, pad to 32)',
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
        const got = await runPreprocess(rt, rgba, h, w, input);
        const { data, plan } = preprocessRef(rgba, h, w, input);
        assertClose(got, data, `${h}×${w} → ${plan.resizedSize.join('×')} (padded ${plan.paddedSize.join('×')})`);
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
      const ref = preprocessRef(rgba, h, w, identity).data;
      assert(got.length === h * w * 3, `identity output has ${got.length} values`);
      assert(got.every((v, i) => v === ref[i]), 'same-size preprocessing must be exact');
      // Pixel (1, 2), BGR: channel 0 is B (byte 2).
      const p = (1 * w + 2) * 4;
      assert(got[(1 * w + 2) * 3] === Math.fround(rgba[p + 2]! - Math.fround(103.53)), 'channel 0 must be blue');
      const rgb: InputConfig = { format: 'RGB', pixelMean: [120, 110, 100], pixelStd: [58.4, 57.1, 57.4], sizeDivisibility: 7, minSize: 40, maxSize: 64 };
      const got2 = await runPreprocess(rt, rgba, h, w, rgb);
      assertClose(got2, preprocessRef(rgba, h, w, rgb).data, 'RGB, std ≠ 1, divisibility 7');
    },
  },
  {
    name: 'a 1×1 image upscaled to 2×2 is constant, and the padding is zero',
    run: async (rt) => {
      const rgba = new Uint8Array([10, 20, 30, 255]);
      const input: InputConfig = { ...BGR, minSize: 2, maxSize: 2, sizeDivisibility: 4 };
      const got = await runPreprocess(rt, rgba, 1, 1, input);
      const expected = new Float32Array(4 * 4 * 3);
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 2; x++) expected.set([30 - 103.53, 20 - 116.28, 10 - 123.675], (y * 4 + x) * 3);
      }
      assertClose(got, expected, '1×1 → 2×2 padded 4×4', 1e-6);
    },
  },
  {
    name: 'bad images and arguments are rejected before dispatch',
    run: (rt) =>
      withScope(rt, 'invalid', async (scope) => {
        await assertRejects(() => uploadRgbaImage(scope, new Uint8Array(0), 0, 5), UnsupportedImageError, 'empty');
        await assertRejects(() => uploadRgbaImage(scope, new Uint8Array(4 * 6), 2, 2), InvalidArgumentError, 'needs 16 bytes');
        await assertRejects(() => uploadRgbaImage(scope, new Uint8Array(4), 1.5, 1), InvalidArgumentError, 'height');
        await assertRejects(() => planPreprocess(20000, 10, BGR), UnsupportedImageError, 'exceeds the limit');
        await assertRejects(() => planPreprocess(1, 5000, { ...BGR, minSize: 800, maxSize: 1333 }), UnsupportedImageError, 'aspect ratio');
        await assertRejects(() => planPreprocess(10, 10, { ...BGR, pixelStd: [1, 0, 1] }), InvalidArgumentError, 'pixelStd');
        const image = uploadRgbaImage(scope, randomRgba(10, 12, 1), 10, 12);
        // 10×12 → 48×58, padded 64×64; a wrong output shape is refused.
        await assertRejects(() => preprocessProgram(scope, image, emptyTensor(scope, [1, 48, 58, 3]), BGR), InvalidArgumentError, 'out');
        await assertRejects(
          () => preprocessProgram(scope, { ...image, height: 100 }, emptyTensor(scope, [1, 64, 64, 3]), BGR),
          InvalidArgumentError,
          'image',
        );
      }),
  },
]);
