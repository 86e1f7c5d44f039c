import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors';
import { classAwareNms, fcosPostprocess, type FcosLevelOutput } from '../../src/model/fcos-postprocess';
import type { TestConfig } from '../../src/weights/config';
import { rng } from '../harness/random';
import { loadReferenceFixture, nodeFixtureReader, type ReferenceImage } from '../harness/reference-fixtures';

const CONFIGS = ['narrow-d4', 'narrow-d8', 'narrow-d4-fixed'];
const DEFAULT_TEST: TestConfig = { scoreThresh: 0.05, topkCandidates: 1000, nmsThresh: 0.6, maxDetections: 100 };

function levelsOf(image: ReferenceImage, names: readonly string[], strides: readonly number[]): FcosLevelOutput[] {
  return names.map((l, i) => {
    const cls = image.nhwc(`head.cls_logits.${l}`);
    const [, height, width] = cls.shape as [number, number, number, number];
    return {
      height,
      width,
      stride: strides[i]!,
      clsLogits: cls.data as Float32Array,
      bboxReg: image.nhwc(`head.bbox_reg.${l}`).data as Float32Array,
      centerness: image.nhwc(`head.centerness.${l}`).data as Float32Array,
    };
  });
}

function expectBoxesClose(actual: readonly (readonly number[])[], expected: Float32Array, what: string): void {
  expect(actual.length * 4, what).toBe(expected.length);
  // Relative to the largest coordinate (boxes near 0 have no meaningful relative error).
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  actual.forEach((box, i) => {
    box.forEach((v, k) => {
      const e = expected[i * 4 + k]!;
      if (Math.abs(v - e) > 1e-4 * Math.max(Math.abs(e), 1e-3 * scale)) {
        throw new Error(`${what}: detection ${i} coordinate ${k}: got ${v}, expected ${e}`);
      }
    });
  });
}

describe('FCOS post-processing vs the golden fixtures', async () => {
  const reader = nodeFixtureReader();
  for (const configName of CONFIGS) {
    const fixture = await loadReferenceFixture(configName, reader);
    const cfg = fixture.manifest.config;
    const test: TestConfig = {
      scoreThresh: cfg.score_thresh,
      topkCandidates: cfg.topk_candidates,
      nmsThresh: cfg.nms_thresh,
      maxDetections: cfg.max_detections,
    };
    for (const image of fixture.images) {
      it(`${configName}/${image.id}`, () => {
        const levels = levelsOf(
          image,
          fixture.manifest.levels.map((l) => l.name),
          fixture.manifest.levels.map((l) => l.stride),
        );
        const result = fcosPostprocess(levels, cfg.num_classes, test, {
          originalSize: image.info.original_size,
          resizedSize: image.info.resized_size,
        });
        const expected = image.info.detections;
        expect(result.numCandidates).toBe(expected.num_candidates_before_nms);
        expect(result.numAfterNms).toBe(expected.num_after_nms_topk);
        expect(result.detections.length).toBe(expected.count);
        expect(result.detections.map((d) => d.classId)).toEqual([...image.tensor('detections.classes').data]);
        const scores = image.float32('detections.scores');
        result.detections.forEach((d, i) => expect(Math.abs(d.score - scores[i]!), `score ${i}`).toBeLessThanOrEqual(1e-5));
        expectBoxesClose(result.detections.map((d) => d.box), image.float32('detections.boxes'), 'boxes');
        expectBoxesClose(result.inputBoxes, image.float32('detections.boxes_input'), 'input boxes');
      });
    }
  }
});

/** One level, K classes, from per-location lists. */
function level(
  height: number,
  width: number,
  stride: number,
  k: number,
  cells: { y: number; x: number; logits: number[]; reg: number[]; ctr: number }[],
  fill = -10,
): FcosLevelOutput {
  const clsLogits = new Float32Array(height * width * k).fill(fill);
  const bboxReg = new Float32Array(height * width * 4);
  const centerness = new Float32Array(height * width).fill(-10);
  for (const c of cells) {
    const loc = c.y * width + c.x;
    clsLogits.set(c.logits, loc * k);
    bboxReg.set(c.reg, loc * 4);
    centerness[loc] = c.ctr;
  }
  return { height, width, stride, clsLogits, bboxReg, centerness };
}

const FRAME = { originalSize: [64, 64] as const, resizedSize: [64, 64] as const };

describe('FCOS post-processing semantics', () => {
  it('decodes point (x·stride, y·stride) ± (l, t, r, b), score sqrt(p·σ(ctr)), class = idx mod K', () => {
    const lv = level(4, 4, 8, 3, [{ y: 1, x: 2, logits: [-10, 2, -10], reg: [3, 4, 5, 6], ctr: 0 }]);
    const r = fcosPostprocess([lv], 3, DEFAULT_TEST, FRAME);
    expect(r.detections).toHaveLength(1);
    const d = r.detections[0]!;
    expect(d.classId).toBe(1);
    expect(d.box).toEqual([16 - 3, 8 - 4, 16 + 5, 8 + 6]);
    expect(d.score).toBeCloseTo(Math.sqrt(1 / (1 + Math.exp(-2)) * 0.5), 6);
  });

  it('rescales to the original size, clips, and drops boxes that become empty', () => {
    const lv = level(4, 4, 8, 1, [
      { y: 0, x: 0, logits: [3], reg: [10, 10, 4, 4], ctr: 2 }, // clipped at 0
      { y: 3, x: 3, logits: [2], reg: [2, 2, 20, 20], ctr: 2 }, // clipped at the far edge
      { y: 0, x: 3, logits: [1], reg: [0, 0, 0, 5], ctr: 2 }, // zero width → dropped
    ]);
    const r = fcosPostprocess([lv], 1, DEFAULT_TEST, { originalSize: [64, 128], resizedSize: [32, 32] });
    expect(r.numAfterNms).toBe(3);
    expect(r.detections.map((d) => d.box)).toEqual([
      [0, 0, 4 * 4, 4 * 2],
      [(24 - 2) * 4, (24 - 2) * 2, 128, 64],
    ]);
    expect(r.inputBoxes).toEqual([
      [-10, -10, 4, 4],
      [22, 22, 44, 44],
    ]);
  });

  it('keeps min(topk, H·W) per level (locations, not H·W·K), then thresholds', () => {
    // 2×2 locations × 4 classes, all 16 above threshold: only 2 survive with topk = 2 ...
    const cells = [0, 1, 2, 3].map((i) => ({
      y: i >> 1,
      x: i & 1,
      logits: [0, 1, 2, 3].map((k) => (i * 4 + k) / 10),
      reg: [1, 1, 1, 1],
      ctr: 0,
    }));
    const r = fcosPostprocess([level(2, 2, 8, 4, cells)], 4, { ...DEFAULT_TEST, topkCandidates: 2, nmsThresh: 1 }, FRAME);
    expect(r.numCandidates).toBe(2);
    expect(r.detections.map((d) => d.classId)).toEqual([3, 2]);
    // ... and topk larger than H·W is capped at H·W = 4.
    const r2 = fcosPostprocess([level(2, 2, 8, 4, cells)], 4, { ...DEFAULT_TEST, topkCandidates: 100, nmsThresh: 1 }, FRAME);
    expect(r2.numCandidates).toBe(4);
    // Threshold 0 lets everything through the cut (but still only top-k), 1 lets nothing through.
    const background = level(2, 2, 8, 4, [], -30);
    expect(fcosPostprocess([background], 4, { ...DEFAULT_TEST, scoreThresh: 0 }, FRAME).numCandidates).toBe(4);
    expect(fcosPostprocess([level(2, 2, 8, 4, cells, 30)], 4, { ...DEFAULT_TEST, scoreThresh: 1 }, FRAME).numCandidates).toBe(0);
  });

  it('breaks probability ties at the top-k cut by the lower flat index', () => {
    // Six equal logits over three locations, topk = 3 → flat indices 0..2 survive, i.e.
    // location 0 classes 0, 1 and location 1 class 0.
    const cells = [0, 1, 2].map((x) => ({ y: 0, x, logits: [1, 1], reg: [1, 1, 1, 1], ctr: 0 }));
    const lv = level(1, 3, 8, 2, cells);
    const r = fcosPostprocess([lv], 2, { ...DEFAULT_TEST, topkCandidates: 3 }, FRAME);
    expect(r.numCandidates).toBe(3);
    expect(r.inputBoxes.map((b) => b[0] + 1)).toEqual([0, 0, 8]);
    expect(r.detections.map((d) => d.classId)).toEqual([0, 1, 0]);
  });

  it('uses a float32 threshold comparison (p > fround(0.05))', () => {
    // A float32 logit whose float32 sigmoid is exactly fround(0.05) (> 0.05 in double): it must
    // not pass, as in PyTorch where the Python float is compared in float32.
    const f = Math.fround;
    const sig = (v: number) => f(1 / f(1 + f(Math.exp(-v))));
    const bits = new Float32Array(1);
    const asInt = new Int32Array(bits.buffer);
    bits[0] = Math.log(0.05 / 0.95);
    while (sig(bits[0]!) > f(0.05)) asInt[0]!++; // negative floats: +1 in the bits steps down
    while (sig(bits[0]!) < f(0.05)) asInt[0]!--;
    const x = bits[0]!;
    expect(sig(x)).toBe(f(0.05));
    expect(sig(x) > 0.05).toBe(true);
    const lv = level(1, 2, 8, 1, [
      { y: 0, x: 0, logits: [x], reg: [1, 1, 1, 1], ctr: 5 },
      { y: 0, x: 1, logits: [f(x + 1e-4)], reg: [1, 1, 1, 1], ctr: 5 },
    ]);
    const r = fcosPostprocess([lv], 1, DEFAULT_TEST, FRAME);
    // ... while a logit 1e-4 above it passes.
    expect(r.numCandidates).toBe(1);
    expect(r.inputBoxes[0]![0]).toBe(7);
  });

  it('NMS is class-aware, suppresses IoU > thresh only, and breaks score ties by candidate order', () => {
    // Boxes: A and B overlap with IoU exactly 0.6 (not suppressed at 0.6), C overlaps A at 0.8.
    const boxes = new Float32Array([
      0, 0, 10, 10, // A, score 0.9
      0, 0, 10, 6, // B: inter 60, union 100 → IoU 0.6
      0, 0, 10, 8, // C: IoU 0.8 with A
      0, 0, 10, 8, // D: like C but another class
      0, 0, 10, 10, // E: duplicate of A with A's score, later index → suppressed
    ]);
    const scores = new Float32Array([0.9, 0.5, 0.7, 0.6, 0.9]);
    const classes = new Int32Array([0, 0, 0, 1, 0]);
    expect(classAwareNms(boxes, scores, classes, 0.6)).toEqual([0, 3, 1]);
    expect(classAwareNms(boxes, scores, classes, 0.59)).toEqual([0, 3]);
    expect(classAwareNms(boxes, scores, classes, 0.6, 2)).toEqual([0, 3]);
    // A suppressed box suppresses nothing: box 1 (suppressed by box 0) overlaps box 2, which stays.
    const chain = new Float32Array([0, 0, 10, 10, 0, 2, 10, 12, 0, 4, 10, 14]);
    expect(classAwareNms(chain, new Float32Array([0.9, 0.8, 0.7]), new Int32Array(3), 0.5)).toEqual([0, 2]);
    // Degenerate boxes: 0/0 IoU is NaN, never > thresh, so both stay.
    const empty = new Float32Array([5, 5, 5, 5, 5, 5, 5, 5]);
    expect(classAwareNms(empty, new Float32Array([0.5, 0.4]), new Int32Array(2), 0.1)).toEqual([0, 1]);
  });

  it('concatenates levels in order before NMS and keeps the top maxDetections', () => {
    const p3 = level(2, 2, 8, 1, [{ y: 0, x: 0, logits: [1], reg: [1, 1, 1, 1], ctr: 0 }]);
    const p4 = level(1, 1, 16, 1, [{ y: 0, x: 0, logits: [1], reg: [2, 2, 2, 2], ctr: 0 }]);
    // Equal scores: the P3 candidate comes first.
    const r = fcosPostprocess([p3, p4], 1, { ...DEFAULT_TEST, nmsThresh: 1 }, FRAME);
    expect(r.inputBoxes).toEqual([
      [-1, -1, 1, 1],
      [-2, -2, 2, 2],
    ]);
    const one = fcosPostprocess([p3, p4], 1, { ...DEFAULT_TEST, maxDetections: 1 }, FRAME);
    expect(one.detections).toHaveLength(1);
    expect(one.numAfterNms).toBe(1);
  });

  it('rejects inconsistent inputs', () => {
    const lv = level(2, 2, 8, 3, []);
    expect(() => fcosPostprocess([lv], 4, DEFAULT_TEST, FRAME)).toThrow(InvalidArgumentError);
    expect(() => fcosPostprocess([{ ...lv, centerness: new Float32Array(3) }], 3, DEFAULT_TEST, FRAME)).toThrow(/centerness/);
    expect(() => fcosPostprocess([lv], 3, { ...DEFAULT_TEST, scoreThresh: Number.NaN }, FRAME)).toThrow(/scoreThresh/);
    expect(() => fcosPostprocess([lv], 3, { ...DEFAULT_TEST, scoreThresh: 1.5 }, FRAME)).toThrow(/scoreThresh/);
    expect(() => fcosPostprocess([lv], 3, { ...DEFAULT_TEST, topkCandidates: 2.5 }, FRAME)).toThrow(/topkCandidates/);
    expect(() => fcosPostprocess([lv], 3, DEFAULT_TEST, { originalSize: [0, 4], resizedSize: [4, 4] })).toThrow(/originalSize/);
  });
});

/** The reference algorithm transliterated without shortcuts: full stable sort of H·W·K. */
function naivePostprocess(levels: readonly FcosLevelOutput[], k: number, test: TestConfig) {
  const f = Math.fround;
  const sig = (x: number) => f(1 / f(1 + f(Math.exp(-x))));
  const cand: { box: number[]; score: number; cls: number }[] = [];
  for (const lv of levels) {
    const probs = Array.from(lv.clsLogits, sig);
    const order = probs.map((_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    const top = order.slice(0, Math.min(test.topkCandidates, lv.height * lv.width)).filter((i) => probs[i]! > f(test.scoreThresh));
    for (const i of top) {
      const loc = Math.floor(i / k);
      const px = (loc % lv.width) * lv.stride;
      const py = Math.floor(loc / lv.width) * lv.stride;
      const d = lv.bboxReg.subarray(loc * 4, loc * 4 + 4);
      cand.push({
        box: [f(px - d[0]!), f(py - d[1]!), f(px + d[2]!), f(py + d[3]!)],
        score: f(Math.sqrt(f(probs[i]! * sig(lv.centerness[loc]!)))),
        cls: i % k,
      });
    }
  }
  return cand;
}

describe('FCOS post-processing at full size', () => {
  it('P3 100×168×80 and P4–P7: selection matches a full stable sort, and runs fast', () => {
    const K = 80;
    const sizes = [
      [100, 168, 8],
      [50, 84, 16],
      [25, 42, 32],
      [13, 21, 64],
      [7, 11, 128],
    ] as const;
    const next = rng(7);
    const levels: FcosLevelOutput[] = sizes.map(([h, w, s]) => {
      const clsLogits = new Float32Array(h * w * K);
      // Mostly below threshold, ~3 % above, with many exact ties (quantised logits).
      for (let i = 0; i < clsLogits.length; i++) clsLogits[i] = Math.round((next() * 7 - 8.2) * 8) / 8;
      const bboxReg = new Float32Array(h * w * 4);
      for (let i = 0; i < bboxReg.length; i++) bboxReg[i] = next() * 2.5 * s;
      const centerness = new Float32Array(h * w);
      for (let i = 0; i < centerness.length; i++) centerness[i] = next() * 4 - 2;
      return { height: h, width: w, stride: s, clsLogits, bboxReg, centerness };
    });
    const frame = { originalSize: [600, 1000] as const, resizedSize: [800, 1333] as const };
    const start = performance.now();
    const result = fcosPostprocess(levels, K, DEFAULT_TEST, frame);
    const ms = performance.now() - start;
    const naive = naivePostprocess(levels, K, DEFAULT_TEST);
    expect(result.numCandidates).toBe(naive.length);
    expect(result.numCandidates).toBeGreaterThan(3000); // the top-k cut binds on P3–P5
    // Same NMS input ⇒ same output: compare NMS on the naive candidates too.
    const boxes = new Float32Array(naive.flatMap((c) => c.box));
    const keep = classAwareNms(boxes, Float32Array.from(naive, (c) => c.score), Int32Array.from(naive, (c) => c.cls), 0.6, 100);
    expect(result.numAfterNms).toBe(keep.length);
    expect(result.inputBoxes.slice(0, 20)).toEqual(keep.slice(0, 20).map((i) => naive[i]!.box));
    expect(result.detections.map((d) => d.score)).toEqual(
      keep.filter((_, j) => j < result.detections.length).map((i) => naive[i]!.score),
    );
    expect(ms).toBeLessThan(1000);
  });
});
