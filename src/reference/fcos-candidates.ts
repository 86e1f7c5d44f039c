/**
 * CPU reference for `shaders/fcos-candidates.wgsl`: the output words the GPU selection must write,
 * computed by the CPU post-processing's own selection (`selectTopCandidates`, `sigmoid32` of
 * src/model/fcos-postprocess.ts), so the kernel is tested against exactly the path it replaces.
 * Record slots past a level's count are left 0 (the kernel leaves them unwritten).
 */
import { selectTopCandidates, sigmoid32 } from '../model/fcos-postprocess';
import { CANDIDATE_HEADER_WORDS, CANDIDATE_RECORD_WORDS, type FcosCandidateLayout } from '../ops/fcos-candidates';

const f32 = Math.fround;

export function fcosCandidatesRef(
  layout: FcosCandidateLayout,
  strides: readonly number[],
  cls: Float32Array,
  boxCtr: Float32Array,
  scoreThresh: number,
): Uint32Array {
  const { levels, classes } = layout;
  const out = new Uint32Array(layout.outWords);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  const word = (x: number) => {
    asFloat[0] = x;
    return bits[0]!;
  };
  levels.sizes.forEach(([, width], l) => {
    const first = levels.offsets[l]!;
    const logits = cls.subarray(first * classes, (first + levels.pixels(l)) * classes);
    const { index, prob } = selectTopCandidates(logits, layout.topk[l]!, scoreThresh);
    out[l] = index.length;
    const stride = strides[l]!;
    for (let j = 0; j < index.length; j++) {
      const flat = index[j]!;
      const loc = Math.floor(flat / classes);
      const row = (first + loc) * 5;
      const px = f32((loc % width) * stride);
      const py = f32(Math.floor(loc / width) * stride);
      const o = CANDIDATE_HEADER_WORDS + (layout.slots[l]! + j) * CANDIDATE_RECORD_WORDS;
      out[o] = word(px - boxCtr[row]!);
      out[o + 1] = word(py - boxCtr[row + 1]!);
      out[o + 2] = word(px + boxCtr[row + 2]!);
      out[o + 3] = word(py + boxCtr[row + 3]!);
      out[o + 4] = word(prob[j]!);
      out[o + 5] = word(sigmoid32(boxCtr[row + 4]!));
      out[o + 6] = flat;
    }
  });
  return out;
}
