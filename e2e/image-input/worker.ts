/**
 * Runs each case through exactly what the engine worker does with an image: the page-side
 * conversion (toImageBitmap: premultiplyAlpha 'none', colorSpaceConversion 'none'), then
 * bitmapImage() → DetectorEngine.detect on the bitmap (copyExternalImageToTexture, no CPU
 * read-back). The network input it builds must equal the CPU reference computed from the bytes
 * the PNG holds, bit for bit.
 */
import { toImageBitmap } from '../../src/api/image-bitmap';
import { GpuRuntime } from '../../src/gpu/runtime';
import { DetectorEngine, type DetectionResult } from '../../src/model/engine';
import { preprocessRef } from '../../src/reference/preprocess';
import { bitmapImage } from '../../src/worker/image-pixels';
import weightsUrl from '../../weights/default/model.dhw?url';
import type { ImageInputCase, ImageInputMessage } from './protocol';

const post = (message: ImageInputMessage) => (self as unknown as Worker).postMessage(message);
const summary = (r: DetectionResult) => r.detections.map((d) => `${d.classId}:${d.score.toFixed(5)}:${d.box.map((v) => v.toFixed(2)).join(',')}`).join(';');

self.onmessage = async (event: MessageEvent<ImageInputCase[]>) => {
  try {
    const runtime = await GpuRuntime.create();
    const engine = await DetectorEngine.load(runtime, new URL(weightsUrl, self.location.href).href);
    for (const c of event.data) {
      const rgba = new Uint8Array(c.rgba);
      const bitmap = await toImageBitmap(new Blob([c.png], { type: 'image/png' }));
      const t0 = performance.now();
      let fromBitmap: DetectionResult;
      try {
        fromBitmap = await engine.detect(bitmapImage(bitmap), { returnTaps: true });
      } finally {
        bitmap.close();
      }
      const detectMs = performance.now() - t0;
      const fromBytes = await engine.detect({ data: rgba, width: c.width, height: c.height });
      const got = fromBitmap.taps!.taps.get('input')!.data;
      const expected = preprocessRef(rgba, c.height, c.width, engine.config.input).data;
      let mismatches = got.length === expected.length ? 0 : Math.max(got.length, expected.length);
      let firstMismatch: string | undefined;
      for (let i = 0; i < Math.min(got.length, expected.length); i++) {
        if (Object.is(got[i], expected[i])) continue;
        mismatches++;
        firstMismatch ??= `value ${i}: ${got[i]} vs ${expected[i]}`;
      }
      let translucent = 0;
      for (let i = 3; i < rgba.length; i += 4) if (rgba[i]! < 255) translucent++;
      post({
        type: 'report',
        report: {
          name: c.name,
          width: c.width,
          height: c.height,
          resized: fromBitmap.sizes.resized as [number, number],
          translucent,
          inputValues: expected.length,
          inputMismatches: mismatches,
          firstMismatch,
          detections: fromBitmap.detections.length,
          sameAsBytes: summary(fromBitmap) === summary(fromBytes),
          preprocessMs: fromBitmap.timings.gpuStages.preprocess,
          detectMs,
        },
      });
    }
    engine.dispose();
    runtime.destroy();
    post({ type: 'done' });
  } catch (error) {
    post({ type: 'fatal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
};
