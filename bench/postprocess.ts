/**
 * CPU side of FCOS post-processing for an 80-class model at 800×1344 (P3–P7 100×168 … 7×11), the
 * two paths the engine has, on synthetic head maps (no GPU needed):
 *   cpu: the full maps as read back (7.6 MB) → per-level arrays → fcosPostprocess (threshold,
 *        top-k, decoding, NMS);
 *   gpu: the candidate words the GPU selection writes (produced here by its CPU reference, which
 *        the kernel tests hold it to bit for bit) → readCandidates → fcosDetections (NMS).
 * Usage: node scripts/run-ts.mjs bench/postprocess.ts [--runs N]
 */
import { parseArgs } from 'node:util';
import { readCandidates } from '../src/model/fcos-candidates';
import { fcosDetections, fcosPostprocess, type FcosLevelOutput } from '../src/model/fcos-postprocess';
import { FcosCandidateLayout } from '../src/ops/fcos-candidates';
import { PackedLevels } from '../src/ops/packed-levels';
import { fcosCandidatesRef } from '../src/reference/fcos-candidates';
import { DEFAULT_MODEL_CONFIG } from '../src/weights/config';

const SIZES: [number, number][] = [[100, 168], [50, 84], [25, 42], [13, 21], [7, 11]];
const STRIDES = [8, 16, 32, 64, 128];

function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export function main(args: string[]): number {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '15' } } });
  const runs = Number(values.runs);
  const classes = 80;
  const test = DEFAULT_MODEL_CONFIG.test;
  const levels = new PackedLevels(SIZES, 1);
  const layout = new FcosCandidateLayout(levels, classes, test.topkCandidates);
  const frame = { originalSize: [800, 1333] as const, resizedSize: [800, 1333] as const };
  for (const [name, mean, sd] of [['trained-like logits N(−7, 1.2)', -7, 1.2], ['dense logits N(−4, 1.5)', -4, 1.5]] as const) {
    const next = mulberry(7);
    const gauss = () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
    const cls = Float32Array.from({ length: layout.elements }, () => mean + sd * gauss());
    const boxCtr = Float32Array.from({ length: levels.rows * 5 }, (_, i) => (i % 5 === 4 ? gauss() : next() * 200));
    const words = fcosCandidatesRef(layout, STRIDES, cls, boxCtr, test.scoreThresh);
    const times = { cpu: [] as number[], gpu: [] as number[] };
    let counts = [0, 0];
    for (let r = 0; r < runs; r++) {
      // The CPU path: from the read-back maps (packed [R, K] and [R, 5]) to per-level arrays, then everything.
      const t0 = performance.now();
      const maps: FcosLevelOutput[] = SIZES.map(([height, width], l) => {
        const first = levels.offsets[l]!;
        const n = height * width;
        const bboxReg = new Float32Array(n * 4);
        const centerness = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          bboxReg.set(boxCtr.subarray((first + i) * 5, (first + i) * 5 + 4), i * 4);
          centerness[i] = boxCtr[(first + i) * 5 + 4]!;
        }
        return { height, width, stride: STRIDES[l]!, clsLogits: cls.slice(first * classes, (first + n) * classes), bboxReg, centerness };
      });
      const cpu = fcosPostprocess(maps, classes, test, frame);
      const t1 = performance.now();
      const gpu = fcosDetections(readCandidates(words.slice(), layout), test, frame);
      const t2 = performance.now();
      times.cpu.push(t1 - t0);
      times.gpu.push(t2 - t1);
      counts = [cpu.numCandidates, gpu.numCandidates];
      if (cpu.detections.length !== gpu.detections.length) throw new Error('the two paths disagree');
    }
    console.log(
      `${name}: ${counts[0]} candidates; CPU selection from the full maps ${median(times.cpu).toFixed(2)} ms, ` +
        `from the GPU's candidates ${median(times.gpu).toFixed(2)} ms (median of ${runs})`,
    );
  }
  return 0;
}
