import { decodeImage } from '../../src/cli/image';
import type { GpuRuntime } from '../../src/gpu/runtime';
import type { Detection } from '../../src/model/detection';
import { DetectorEngine, LEVEL_NAMES, type DetectionResult, type NetworkResult } from '../../src/model/engine';
import { fcosPostprocess } from '../../src/model/fcos-postprocess';
import type { HeadExecution } from '../../src/model/dynamic-head';
import type { HeadKind } from '../../src/weights/config';
import { convertCheckpoint } from '../../src/weights/convert';
import { relativeError } from './assert';
import { boxIou } from './box-iou';
import type { FixtureFileReader, ReferenceFixture, ReferenceImage } from './reference-fixtures';

/**
 * Engine-vs-reference parity on one golden image, as a report (no test-runner assertions, so the
 * Vitest suite and the offline full-width check share it). Criteria:
 * - FPN, router and head outputs: max |engine − ref| ≤ 1e-4 · max |ref| per tensor. The golden
 *   values are float64 runs; on tiny top levels (P7 of a small image is 1×2 pixels, GroupNorm
 *   over one channel per group in the narrow fixtures) float32 rounding is amplified, and the
 *   manifest records how far PyTorch's own float32 run lands: where that exceeds 1e-4, the bound
 *   is twice PyTorch's own float32 error (no float32 implementation does better there).
 * - Gates: on/off masks agree on ≥ 99.99 % of pixels and differ only where the reference's
 *   pre-activation is within 1e-5 of the threshold 0; gate values and logits (which feed only
 *   the masks and the gate multiply) within 1e-3 · max |ref|.
 * - Detections end to end from the PNG: same count, same classes, matched IoU ≥ 0.999,
 *   |Δscore| ≤ 1e-4 (or, as for tensors, twice PyTorch's own float32 error where that is larger:
 *   the scores are the head outputs' sigmoids); and the engine's own pre-processing of the PNG (Pillow BILINEAR resize on
 *   the GPU, normalise, pad) gives the fixture's `input` tensor bit for bit.
 * - The GPU candidate selection (the default) gives exactly the detections of the CPU path run on
 *   the same head maps: same order, bit-identical boxes and scores, same classes.
 */
export interface ParityReport {
  readonly image: string;
  readonly tensors: number;
  /** Worst relative error over FPN, router and head outputs. */
  readonly worst: number;
  readonly worstName: string;
  /** Tensors above 1e-4 (allowed only where PyTorch float32 is above it too). */
  readonly aboveStrict: string[];
  readonly maskPixels: number;
  readonly maskDiffs: number;
  readonly detections: number;
  /** max |engine input − reference input| from the engine's own pre-processing of the PNG. */
  readonly inputMaxDiff: number;
  readonly minIou: number;
  readonly maxScoreDiff: number;
  readonly gpuMs: number;
  /** Detections compared between the GPU and the CPU candidate selection (all identical when no failure says otherwise). */
  readonly selectionCompared: number;
  /** Every violated criterion; empty when parity holds. */
  readonly failures: string[];
}

function compareTensors(result: NetworkResult, image: ReferenceImage, failures: string[]) {
  let worst = 0;
  let worstName = '';
  let tensors = 0;
  let maskPixels = 0;
  let maskDiffs = 0;
  const aboveStrict: string[] = [];
  const torchFloat32 = torchFloat32Error(image);
  const masks = (name: string, actual: Float32Array, reference: ArrayLike<number>, logits?: ArrayLike<number>) => {
    for (let i = 0; i < reference.length; i++) {
      if (actual[i]! > 0 === reference[i]! > 0) continue;
      maskDiffs++;
      if (!logits || Math.abs(logits[i]!) >= 1e-5) failures.push(`${name}: mask differs at pixel ${i} away from the threshold`);
    }
    maskPixels += reference.length;
  };
  const check = (name: string, actual: Float32Array) => {
    if (!image.has(name)) {
      failures.push(`the reference has no tensor ${name}`);
      return;
    }
    const error = relativeError(actual, image.nhwc(name).data);
    const isGate = /\.gate(_logit)?\./.test(name);
    const bound = isGate ? 1e-3 : Math.max(1e-4, 2 * torchFloat32);
    tensors++;
    if (!isGate && error > 1e-4) aboveStrict.push(`${name} ${error.toExponential(2)} (PyTorch float32: ${torchFloat32.toExponential(2)})`);
    if (!isGate && error > worst) {
      worst = error;
      worstName = name;
    }
    if (!(error <= bound)) failures.push(`${name}: relative error ${error.toExponential(3)} > ${bound.toExponential(3)}`);
  };
  for (const [name, tap] of result.taps) {
    if (name.includes('.mask_dilated.') || name.includes('.mask.')) {
      masks(name, tap.data, image.nhwc(name).data);
      continue;
    }
    check(name, tap.data);
    if (name.includes('.gate.')) masks(name, tap.data, image.nhwc(name).data, image.nhwc(name.replace('.gate.', '.gate_logit.')).data);
  }
  result.levels.forEach((level, l) => {
    const p = LEVEL_NAMES[l];
    check(`head.cls_logits.${p}`, level.clsLogits);
    check(`head.bbox_reg.${p}`, level.bboxReg);
    check(`head.centerness.${p}`, level.centerness);
  });
  if (maskPixels > 0 && maskDiffs / maskPixels > 1e-4) failures.push(`masks agree on only ${(100 * (1 - maskDiffs / maskPixels)).toFixed(4)} %`);
  return { worst, worstName, tensors, maskPixels, maskDiffs, aboveStrict };
}

/** How far PyTorch's own float32 run lands from the float64 golden values (the manifest records it). */
function torchFloat32Error(image: ReferenceImage): number {
  return Math.max(0, ...Object.entries(image.info.parity).filter(([k]) => k.startsWith('float32')).map(([, v]) => v.max_rel_diff));
}

function compareDetections(actual: readonly Detection[], image: ReferenceImage, failures: string[], scoreBound: number) {
  const boxes = image.float32('detections.boxes');
  const scores = image.float32('detections.scores');
  const classes = image.tensor('detections.classes').data;
  if (actual.length !== scores.length) failures.push(`${actual.length} detections, the reference has ${scores.length}`);
  let minIou = 1;
  let maxScoreDiff = 0;
  const unmatched = new Set(actual.map((_, i) => i));
  for (let r = 0; r < scores.length; r++) {
    const refBox = [...boxes.subarray(r * 4, r * 4 + 4)];
    // Match by class and best IoU (near-equal scores may swap order).
    let best = -1;
    let bestIou = -1;
    for (const i of unmatched) {
      if (actual[i]!.classId !== classes[r]) continue;
      const v = boxIou(actual[i]!.box, refBox);
      if (v > bestIou) {
        bestIou = v;
        best = i;
      }
    }
    if (best < 0) {
      failures.push(`reference detection ${r} (class ${classes[r]}) has no match`);
      continue;
    }
    unmatched.delete(best);
    minIou = Math.min(minIou, bestIou);
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(actual[best]!.score - scores[r]!));
  }
  if (minIou < 0.999) failures.push(`worst matched IoU ${minIou}`);
  if (maxScoreDiff > scoreBound) failures.push(`worst score difference ${maxScoreDiff} (bound ${scoreBound.toExponential(2)})`);
  return { minIou, maxScoreDiff };
}

/** The GPU-selected detections against the CPU path's on the same run's head maps: bit for bit. */
function compareSelection(engine: DetectorEngine, detected: DetectionResult, failures: string[]): number {
  if (detected.candidateSelection !== 'gpu') failures.push(`the candidates were selected on the ${detected.candidateSelection}, not the GPU`);
  const levels = detected.taps?.levels;
  if (!levels) {
    failures.push('no head maps to run the CPU selection on');
    return 0;
  }
  const { config } = engine;
  const cpu = fcosPostprocess(
    levels.map((level, l) => ({ ...level, stride: config.fpn.strides[l]! })),
    config.head.numClasses,
    config.test,
    { originalSize: detected.sizes.original, resizedSize: detected.sizes.resized },
  ).detections;
  if (cpu.length !== detected.detections.length) failures.push(`GPU selection: ${detected.detections.length} detections, CPU selection ${cpu.length}`);
  cpu.forEach((c, i) => {
    const g = detected.detections[i];
    const same = g && g.classId === c.classId && Object.is(g.score, c.score) && g.box.every((v, k) => Object.is(v, c.box[k]));
    if (!same) failures.push(`GPU selection: detection ${i} is ${JSON.stringify(g)}, CPU selection ${JSON.stringify(c)}`);
  });
  return cpu.length;
}

/** Converts the fixture's checkpoint with the reference's input and test settings. */
export async function fixtureWeights(fixture: ReferenceFixture, read: FixtureFileReader, headKind: HeadKind): Promise<Uint8Array> {
  const c = fixture.manifest.config;
  return convertCheckpoint(await read(fixture.checkpointPath), {
    headKind,
    config: {
      input: { minSize: c.min_size, maxSize: c.max_size, sizeDivisibility: c.size_divisibility },
      test: { scoreThresh: c.score_thresh, topkCandidates: c.topk_candidates, nmsThresh: c.nms_thresh, maxDetections: c.max_detections },
    },
  }).bytes;
}

/** Runs the engine on one golden image (tensors from the stored input, detections from the PNG). */
export async function checkParity(engine: DetectorEngine, image: ReferenceImage, read: FixtureFileReader): Promise<ParityReport> {
  const failures: string[] = [];
  const [h, w] = image.info.padded_size;
  const network = await engine.runNetwork(image.nhwc('input').data as Float32Array, h, w, { taps: true });
  const tensors = compareTensors(network, image, failures);
  const png = decodeImage(new Uint8Array(await read(image.pngPath)));
  const detected = await engine.detect({ data: png.data, width: png.width, height: png.height }, { returnTaps: true });
  if (detected.sizes.padded.join('x') !== image.info.padded_size.join('x')) {
    failures.push(`pre-processing padded to ${detected.sizes.padded.join('×')}, the reference to ${image.info.padded_size.join('×')}`);
  }
  const input = detected.taps?.taps.get('input')?.data;
  const expectedInput = image.nhwc('input').data;
  let inputMaxDiff = input && input.length === expectedInput.length ? 0 : Infinity;
  for (let i = 0; input && i < expectedInput.length; i++) inputMaxDiff = Math.max(inputMaxDiff, Math.abs(input[i]! - expectedInput[i]!));
  if (inputMaxDiff !== 0) failures.push(`the engine's pre-processed input differs from the reference's: max |Δ| ${inputMaxDiff}`);
  const detections = compareDetections(detected.detections, image, failures, Math.max(1e-4, 2 * torchFloat32Error(image)));
  const selectionCompared = compareSelection(engine, detected, failures);
  return { image: image.id, ...tensors, detections: detected.detections.length, inputMaxDiff, ...detections, gpuMs: detected.timings.gpuMs, selectionCompared, failures };
}

export function formatParity(name: string, r: ParityReport): string {
  const agreement = r.maskPixels ? (100 * (1 - r.maskDiffs / r.maskPixels)).toFixed(4) : '100';
  return (
    `${name}/${r.image}: input from the PNG max |Δ| ${r.inputMaxDiff}; ${r.tensors} tensors, worst ${r.worst.toExponential(2)} (${r.worstName}); masks ${agreement} % identical ` +
    `over ${r.maskPixels} px; above 1e-4: ${r.aboveStrict.length ? r.aboveStrict.join(', ') : 'none'}; ${r.detections} detections, ` +
    `min IoU ${r.minIou.toFixed(6)}, max |Δscore| ${r.maxScoreDiff.toExponential(2)}; GPU selection = CPU selection on ${r.selectionCompared}; GPU ${r.gpuMs.toFixed(0)} ms`
  );
}

export async function runFixtureParity(
  runtime: GpuRuntime,
  fixture: ReferenceFixture,
  read: FixtureFileReader,
  headKind: HeadKind,
  execution?: HeadExecution,
): Promise<ParityReport[]> {
  const images = fixture.images;
  const engine = await DetectorEngine.load(runtime, await fixtureWeights(fixture, read, headKind), { execution });
  try {
    const reports: ParityReport[] = [];
    for (const image of images) reports.push(await checkParity(engine, image, read));
    return reports;
  } finally {
    engine.dispose();
  }
}
