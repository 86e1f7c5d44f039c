/**
 * A consumer app: imports the *built* package by name (dist/, through package.json `exports`),
 * and exercises createDetector / detect / dispose, typed errors across the worker boundary, the
 * call queue and recovery from a device loss. Results land in `window.fixture` for Playwright.
 */
import {
  createDetector,
  EngineDisposedError,
  InvalidArgumentError,
  UnsupportedImageError,
  WeightsFetchError,
  WeightsFormatError,
  type DetectResult,
  type Detector,
} from 'dynamic-head-webgpu';
import sampleUrl from '../../demo/samples/shapes-val-000000.png?url';
import weightsUrl from '../../weights/default/model.dhw?url';
import type { ErrorReport, FixtureReport } from './report';

const report: FixtureReport = { ready: false, done: false, progressCalls: 0, errors: {} };
window.fixture = report;
const log = document.getElementById('log')!;
const say = (line: string) => (log.textContent += `${line}\n`);

function describe(error: unknown, cls: abstract new (...args: never[]) => Error, extra?: string): ErrorReport {
  const e = error as Error & { code?: unknown } & Record<string, unknown>;
  return { name: e.name, code: e.code, instance: error instanceof cls, message: e.message, extra: extra ? e[extra] : undefined };
}

const boxesOf = (r: DetectResult) => r.detections.map((d) => [d.classId, ...d.box.map((v) => Math.round(v * 10))].join(',')).join(';');

async function run(): Promise<void> {
  const detector: Detector = await createDetector({
    weights: weightsUrl,
    labels: ['a', 'b', 'c', 'd', 'e', 'f'],
    onProgress: () => void report.progressCalls++,
  });
  report.ready = true;
  report.labels = detector.model.labels;
  report.crossover = { value: detector.model.sparseCrossover, software: detector.model.adapter.software };
  say(`loaded: ${detector.model.config.head.kind} D${detector.model.config.head.routersPerTower}`);

  const png = await (await fetch(sampleUrl)).blob();
  const first = await detector.detect(png, { returnGates: true });
  report.first = {
    count: first.detections.length,
    top: first.detections[0],
    size: first.imageSize,
    gates: first.gates?.length ?? 0,
    routers: first.routerDensities?.length ?? 0,
    gateValues: first.gates?.reduce((n, g) => n + (g.values?.length ?? 0), 0) ?? 0,
    timings: first.timings,
  };
  say(`first: ${first.detections.length} detections`);

  // Three calls at once, from three kinds of source: they queue in the worker.
  const bitmap = await createImageBitmap(png);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  const gates = { gateDensities: true };
  const results = await Promise.all([detector.detect(bitmap, gates), detector.detect(canvas, gates), detector.detect(png, gates)]);
  report.queued = { counts: results.map((r) => r.detections.length), sameAsFirst: results.every((r) => boxesOf(r) === boxesOf(first)) };
  say(`queued: ${report.queued.counts.join(', ')}`);

  // Bad input is refused with typed errors, and the detector carries on.
  try {
    await detector.detect(new Blob(['not a png'], { type: 'image/png' }));
  } catch (error) {
    report.errors.badImage = describe(error, UnsupportedImageError);
  }
  try {
    await detector.detect(png, { scoreThreshold: 2 });
  } catch (error) {
    report.errors.badThreshold = describe(error, InvalidArgumentError, 'parameter');
  }

  // Device loss: the next call re-creates the device and reloads the weights.
  const debug = detector as Detector & { debugLoseDevice(): Promise<void>; debugReloads(): Promise<number> };
  await debug.debugLoseDevice();
  const after = await detector.detect(png);
  report.afterLoss = { count: after.detections.length, sameAsFirst: boxesOf(after) === boxesOf(first), reloads: await debug.debugReloads() };
  say(`after device loss: ${after.detections.length} detections`);

  detector.dispose();
  try {
    await detector.detect(png);
  } catch (error) {
    report.errors.disposed = describe(error, EngineDisposedError);
  }

  // Errors thrown while loading in the worker keep their class too.
  try {
    await createDetector({ weights: './missing-weights.dhw', cache: false });
  } catch (error) {
    report.errors.missing = describe(error, WeightsFetchError, 'status');
  }
  try {
    await createDetector({ weights: new TextEncoder().encode('not a weights file at all').buffer as ArrayBuffer });
  } catch (error) {
    report.errors.garbage = describe(error, WeightsFormatError);
  }
}

run()
  .catch((error: unknown) => {
    report.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    say(`error: ${report.error}`);
  })
  .finally(() => {
    report.done = true;
    document.body.dataset.state = 'done';
  });
