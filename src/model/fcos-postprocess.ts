/**
 * FCOS post-processing on the CPU (spec §5): per-level top-k + threshold, box decoding, class-aware
 * NMS, max-detections cut, rescale to the original image, clip, drop empty boxes. It reproduces
 * `tools/reference/postprocess.py` (cvpods `FCOS.inference_single_image` + Detectron2
 * `detector_postprocess`) run on float32 tensors: every arithmetic step is rounded to float32 with
 * `Math.fround` in the reference's order, and the reference's stable sorts break ties by the
 * lower index. Only the sigmoid can differ from a given PyTorch build by one float32 ulp (PyTorch's
 * vectorised exp is not correctly rounded; ours is), which can only reorder exact-tie neighbours.
 */
import { InvalidArgumentError } from '../errors';
import type { TestConfig } from '../weights/config';
import type { Box, Detection } from './detection';

/** The head's outputs at one FPN level, channels last. */
export interface FcosLevelOutput {
  readonly height: number;
  readonly width: number;
  /** Input pixels per feature pixel (8 for P3 ... 128 for P7). */
  readonly stride: number;
  /** [H, W, K] class logits, before the sigmoid. */
  readonly clsLogits: Float32Array;
  /** [H, W, 4] distances (l, t, r, b) in input pixels, already ReLU(scale · pred) · stride. */
  readonly bboxReg: Float32Array;
  /** [H, W] centerness logits, before the sigmoid. */
  readonly centerness: Float32Array;
}

/** Sizes that map the network's input frame back to the caller's image. */
export interface ImageFrame {
  /** [h, w] of the image as given. */
  readonly originalSize: readonly [number, number];
  /** [h, w] after the resize and before padding: the frame the head's boxes live in. */
  readonly resizedSize: readonly [number, number];
}

export interface FcosPostprocessResult {
  /** In score order (descending; ties in candidate order). */
  readonly detections: Detection[];
  /** `detections[i]`'s box in the resized input frame, before rescale and clip. */
  readonly inputBoxes: Box[];
  /** Candidates over all levels after top-k and the score threshold, before NMS. */
  readonly numCandidates: number;
  /** Boxes left by NMS and the max-detections cut, before empty boxes are dropped. */
  readonly numAfterNms: number;
}

const f32 = Math.fround;

/** PyTorch's float32 sigmoid, 1 / (1 + exp(−x)) rounded step by step. */
export function sigmoid32(x: number): number {
  return f32(1 / f32(1 + f32(Math.exp(-x))));
}

/**
 * Logit below which the float32 sigmoid cannot exceed `thresh`: a cheap pre-filter so the
 * sigmoid runs only on plausible candidates. The 1e-5 relative margin dwarfs float32 rounding.
 */
export function logitCut(thresh: number): number {
  if (thresh <= 0) return -Infinity;
  const q = thresh * (1 - 1e-5);
  return Math.log(q / (1 - q));
}

/** Descending by value, ties (and NaN, which sorts first as in torch.sort) by lower index. */
function compareDescending(values: Float32Array, keys: Uint32Array | Int32Array | number[]) {
  return (a: number, b: number): number => {
    const va = values[a]!;
    const vb = values[b]!;
    if (va > vb) return -1;
    if (va < vb) return 1;
    if (va === vb) return keys[a]! - keys[b]!;
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na && nb) return keys[a]! - keys[b]!;
    return na ? -1 : 1;
  };
}

/** The k-th largest value (k ≥ 1) of `values`, which it reorders (Hoare quickselect). */
function kthLargest(values: Float32Array, k: number): number {
  const target = k - 1;
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break; // values[j+1 .. i-1] all equal the pivot
  }
  return values[target]!;
}

/** Growable (flat index, probability) list, in increasing index order. */
class CandidateList {
  index = new Uint32Array(1024);
  prob = new Float32Array(1024);
  length = 0;
  push(index: number, prob: number): void {
    if (this.length === this.index.length) {
      const grownIndex = new Uint32Array(this.length * 2);
      grownIndex.set(this.index);
      this.index = grownIndex;
      const grownProb = new Float32Array(this.length * 2);
      grownProb.set(this.prob);
      this.prob = grownProb;
    }
    this.index[this.length] = index;
    this.prob[this.length] = prob;
    this.length++;
  }
}

/**
 * What `sort(p, descending, stable)[:numTopk]` then `p > thresh` keeps, in that order, without
 * sorting all H·W·K probabilities: everything above the threshold ranks before everything below
 * it, so thresholding first and then taking the top numTopk of the survivors (ties by lower
 * index) selects the same set.
 */
export function selectTopCandidates(logits: Float32Array, numTopk: number, scoreThresh: number): { index: Uint32Array; prob: Float32Array } {
  const thresh = f32(scoreThresh);
  const cut = logitCut(scoreThresh);
  const list = new CandidateList();
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!;
    if (!(x >= cut)) continue;
    const p = sigmoid32(x);
    if (p > thresh) list.push(i, p);
  }
  let index = list.index.subarray(0, list.length);
  let prob = list.prob.subarray(0, list.length);
  if (list.length > numTopk) {
    if (numTopk === 0) return { index: new Uint32Array(0), prob: new Float32Array(0) };
    const kth = kthLargest(prob.slice(), numTopk);
    let greater = 0;
    for (let i = 0; i < prob.length; i++) if (prob[i]! > kth) greater++;
    // Ties at the k-th value: the lowest indices win, and the list is in index order.
    let equalsLeft = numTopk - greater;
    const keptIndex = new Uint32Array(numTopk);
    const keptProb = new Float32Array(numTopk);
    let n = 0;
    for (let i = 0; i < prob.length && n < numTopk; i++) {
      const p = prob[i]!;
      if (p > kth || (p === kth && equalsLeft-- > 0)) {
        keptIndex[n] = index[i]!;
        keptProb[n] = p;
        n++;
      }
    }
    index = keptIndex;
    prob = keptProb;
  }
  const order = Array.from({ length: index.length }, (_, i) => i).sort(compareDescending(prob, index));
  return { index: Uint32Array.from(order, (i) => index[i]!), prob: Float32Array.from(order, (i) => prob[i]!) };
}

/** Decoded candidates (after top-k and the threshold), of one level or all levels in level order. */
export interface FcosCandidates {
  readonly boxes: Float32Array; // [n, 4], input frame
  readonly scores: Float32Array; // sqrt(p · σ(centerness))
  readonly classes: Int32Array;
  readonly count: number;
}

type Candidates = FcosCandidates;

/** The final score of a candidate from its class probability and σ(centerness), as float32. */
export function candidateScore(prob: number, centernessProb: number): number {
  return f32(Math.sqrt(f32(prob * centernessProb)));
}

function decodeLevel(level: FcosLevelOutput, numClasses: number, test: TestConfig, into: Candidates[]): void {
  const { width, stride } = level;
  const numTopk = Math.min(test.topkCandidates, level.height * width); // official: #locations, not H·W·K
  const { index, prob } = selectTopCandidates(level.clsLogits, numTopk, test.scoreThresh);
  const n = index.length;
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const flat = index[i]!;
    const loc = Math.floor(flat / numClasses);
    classes[i] = flat - loc * numClasses;
    const px = f32((loc % width) * stride);
    const py = f32(Math.floor(loc / width) * stride);
    const d = loc * 4;
    boxes[i * 4] = px - level.bboxReg[d]!;
    boxes[i * 4 + 1] = py - level.bboxReg[d + 1]!;
    boxes[i * 4 + 2] = px + level.bboxReg[d + 2]!;
    boxes[i * 4 + 3] = py + level.bboxReg[d + 3]!;
    scores[i] = candidateScore(prob[i]!, sigmoid32(level.centerness[loc]!));
  }
  into.push({ boxes, scores, classes, count: n });
}

export function concatenateCandidates(parts: readonly Candidates[]): Candidates {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const all: Candidates = {
    boxes: new Float32Array(count * 4),
    scores: new Float32Array(count),
    classes: new Int32Array(count),
    count,
  };
  let at = 0;
  for (const p of parts) {
    all.boxes.set(p.boxes, at * 4);
    all.scores.set(p.scores, at);
    all.classes.set(p.classes, at);
    at += p.count;
  }
  return all;
}

/**
 * Greedy class-aware NMS (torchvision `batched_nms` semantics): visit candidates by descending
 * score (stable), keep one unless an already kept box of its class overlaps it with IoU >
 * `iouThresh`. Stops after `maxKeep` kept, which the caller truncates to anyway. Returns kept
 * candidate indices in score order.
 */
export function classAwareNms(
  boxes: Float32Array,
  scores: Float32Array,
  classes: Int32Array,
  iouThresh: number,
  maxKeep = Infinity,
): number[] {
  const count = scores.length;
  const keep: number[] = [];
  if (count === 0 || maxKeep <= 0) return keep;
  const thresh = f32(iouThresh);
  const areas = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    areas[i] = f32(boxes[i * 4 + 2]! - boxes[i * 4]!) * f32(boxes[i * 4 + 3]! - boxes[i * 4 + 1]!);
  }
  const positions = Array.from({ length: count }, (_, i) => i);
  const order = positions.slice().sort(compareDescending(scores, positions));
  const keptByClass = new Map<number, number[]>();
  for (const i of order) {
    const c = classes[i]!;
    let kept = keptByClass.get(c);
    if (!kept) keptByClass.set(c, (kept = []));
    const ix1 = boxes[i * 4]!;
    const iy1 = boxes[i * 4 + 1]!;
    const ix2 = boxes[i * 4 + 2]!;
    const iy2 = boxes[i * 4 + 3]!;
    let suppressed = false;
    for (const j of kept) {
      // Same operation order as the reference: (area_kept + area_other) − inter, all float32.
      const w = Math.max(f32(Math.min(boxes[j * 4 + 2]!, ix2) - Math.max(boxes[j * 4]!, ix1)), 0);
      const h = Math.max(f32(Math.min(boxes[j * 4 + 3]!, iy2) - Math.max(boxes[j * 4 + 1]!, iy1)), 0);
      const inter = f32(w * h);
      const iou = f32(inter / f32(f32(areas[j]! + areas[i]!) - inter));
      if (iou > thresh) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push(i);
    keep.push(i);
    if (keep.length >= maxKeep) break;
  }
  return keep;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(name, `expected a positive integer, got ${value}`);
}

function validate(levels: readonly FcosLevelOutput[], numClasses: number, test: TestConfig, frame: ImageFrame): void {
  requirePositiveInteger('numClasses', numClasses);
  if (!Number.isInteger(test.topkCandidates) || test.topkCandidates < 0) {
    throw new InvalidArgumentError('test.topkCandidates', `expected an integer >= 0, got ${test.topkCandidates}`);
  }
  if (!Number.isInteger(test.maxDetections) || test.maxDetections < 0) {
    throw new InvalidArgumentError('test.maxDetections', `expected an integer >= 0, got ${test.maxDetections}`);
  }
  if (!(test.scoreThresh >= 0 && test.scoreThresh <= 1)) {
    throw new InvalidArgumentError('test.scoreThresh', `expected a number in [0, 1], got ${test.scoreThresh}`);
  }
  if (!Number.isFinite(test.nmsThresh)) throw new InvalidArgumentError('test.nmsThresh', `expected a finite number, got ${test.nmsThresh}`);
  for (const [name, size] of [['originalSize', frame.originalSize], ['resizedSize', frame.resizedSize]] as const) {
    requirePositiveInteger(`frame.${name}[0]`, size[0]);
    requirePositiveInteger(`frame.${name}[1]`, size[1]);
  }
  levels.forEach((level, l) => {
    requirePositiveInteger(`levels[${l}].height`, level.height);
    requirePositiveInteger(`levels[${l}].width`, level.width);
    if (!(level.stride > 0 && Number.isFinite(level.stride))) {
      throw new InvalidArgumentError(`levels[${l}].stride`, `expected a positive number, got ${level.stride}`);
    }
    const hw = level.height * level.width;
    const expect = [
      ['clsLogits', level.clsLogits, hw * numClasses],
      ['bboxReg', level.bboxReg, hw * 4],
      ['centerness', level.centerness, hw],
    ] as const;
    for (const [name, data, length] of expect) {
      if (data.length !== length) {
        throw new InvalidArgumentError(
          `levels[${l}].${name}`,
          `expected ${length} values for ${level.height}×${level.width}, got ${data.length}`,
        );
      }
    }
  });
}

/**
 * Detections for one image from the head's outputs at every level (P3 first). Boxes come back in
 * `frame.originalSize` pixels; `inputBoxes` keeps them in the resized input frame.
 */
export function fcosPostprocess(
  levels: readonly FcosLevelOutput[],
  numClasses: number,
  test: TestConfig,
  frame: ImageFrame,
): FcosPostprocessResult {
  validate(levels, numClasses, test, frame);
  const parts: Candidates[] = [];
  for (const level of levels) decodeLevel(level, numClasses, test, parts);
  return fcosDetections(concatenateCandidates(parts), test, frame);
}

/**
 * The rest of post-processing once the candidates are known (from `fcosPostprocess`'s own
 * selection, or the GPU's: src/model/fcos-candidates.ts): class-aware NMS, the max-detections
 * cut, rescale to the original image, clip, drop empty boxes.
 */
export function fcosDetections(all: FcosCandidates, test: TestConfig, frame: ImageFrame): FcosPostprocessResult {
  const keep = classAwareNms(all.boxes, all.scores, all.classes, test.nmsThresh, test.maxDetections);

  // detector_postprocess: scale by original/resized (a float32 factor, as PyTorch multiplies a
  // float32 tensor by a Python float), clip to the image, drop boxes with no area.
  const [oh, ow] = frame.originalSize;
  const [rh, rw] = frame.resizedSize;
  const sx = f32(ow / rw);
  const sy = f32(oh / rh);
  const detections: Detection[] = [];
  const inputBoxes: Box[] = [];
  for (const i of keep) {
    const b = all.boxes.subarray(i * 4, i * 4 + 4);
    const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
    const x1 = clip(f32(b[0]! * sx), ow);
    const y1 = clip(f32(b[1]! * sy), oh);
    const x2 = clip(f32(b[2]! * sx), ow);
    const y2 = clip(f32(b[3]! * sy), oh);
    if (!(f32(x2 - x1) > 0 && f32(y2 - y1) > 0)) continue;
    detections.push({ box: [x1, y1, x2, y2], score: all.scores[i]!, classId: all.classes[i]! });
    inputBoxes.push([b[0]!, b[1]!, b[2]!, b[3]!]);
  }
  return { detections, inputBoxes, numCandidates: all.count, numAfterNms: keep.length };
}
