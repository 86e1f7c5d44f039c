/**
 * FCOS candidate selection on the GPU (spec §5), the default path of `detect`: the sigmoid, the
 * score threshold, the per-level top-k and the box decoding run after the predictors, in the same
 * command encoder, and only the candidates (≤ Σ_l min(topk, H_l·W_l) records of 7 words) are
 * read back; NMS and the rest stay on the CPU (fcosDetections). The selection is the CPU path's
 * (fcos-postprocess.ts) bit for bit: same set, same order, same boxes and scores.
 *
 * Not built (the engine then selects on the CPU from the full maps) when a level could keep more
 * than MAX_CANDIDATES_PER_LEVEL candidates.
 */
import type { Graph, Value } from '../graph/graph';
import {
  CANDIDATE_HEADER_WORDS,
  CANDIDATE_RECORD_WORDS,
  FcosCandidateLayout,
  fcosCandidatePrograms,
  fcosCandidateSettings,
  gpuCandidatesFit,
} from '../ops/fcos-candidates';
import type { ModelConfig } from '../weights/config';
import type { HeadOutputs } from './fcos-head';
import { candidateScore, logitCut, type FcosCandidates } from './fcos-postprocess';

export interface CandidateOutputs {
  readonly layout: FcosCandidateLayout;
  /** u32 [4]: the run's threshold and logit prefilter (candidateSettings), written before each run. */
  readonly settings: Value;
  /** u32 [layout.outWords]: counts per level, then the records. What a detect reads back. */
  readonly out: Value;
}

/** Adds the candidate selection after the predictors (its own stage, 'candidates'). */
export function buildCandidates(graph: Graph, head: HeadOutputs, config: ModelConfig): CandidateOutputs | undefined {
  const { levels } = head;
  const { topkCandidates } = config.test;
  const strides = config.fpn.strides;
  if (!gpuCandidatesFit(levels.sizes, topkCandidates) || strides.some((s) => !Number.isInteger(s) || s < 1)) return undefined;
  const layout = new FcosCandidateLayout(levels, config.head.numClasses, topkCandidates);
  const settings = graph.value('candidates.settings', [4]);
  const probs = graph.value('candidates.probs', [layout.elements]);
  const work = graph.value('candidates.work', [layout.workWords]);
  const sure = graph.value('candidates.sure', [Math.max(layout.records, 1)]);
  const boundary = graph.value('candidates.boundary', [layout.elements]);
  const out = graph.value('candidates.out', [layout.outWords]);
  let zeros: GPUBuffer | undefined;
  graph.add({
    name: 'fcos candidates',
    stage: 'candidates',
    inputs: [head.cls, head.boxCtr, settings],
    outputs: [probs, work, sure, boundary, out],
    // The histograms and level states start from zero every run.
    copies: (ctx) => {
      zeros ??= ctx.scope.storage(layout.workWords * 4, 'fcos candidates: zeros');
      return [{ from: zeros, fromOffset: 0, to: ctx.tensor(work).buffer, toOffset: 0, size: layout.workWords * 4 }];
    },
    build: (ctx) =>
      fcosCandidatePrograms(ctx.scope, {
        layout,
        strides: strides.slice(0, levels.levels),
        cls: ctx.tensor(head.cls),
        boxCtr: ctx.tensor(head.boxCtr),
        settings: ctx.tensor(settings),
        probs: ctx.tensor(probs),
        work: ctx.tensor(work),
        sure: ctx.tensor(sure),
        boundary: ctx.tensor(boundary),
        out: ctx.tensor(out),
      }),
  });
  graph.markOutput(out);
  return { layout, settings, out };
}

/** The settings words for a run with this score threshold (the CPU path's prefilter included). */
export function candidateSettings(scoreThresh: number): Uint32Array {
  return fcosCandidateSettings(scoreThresh, logitCut(scoreThresh));
}

/**
 * The candidates of all levels, in level order, from the read-back words: boxes as decoded on the
 * GPU, scores sqrt(p · σ(centerness)) in float32 from the two probabilities, class = flat mod K.
 */
export function readCandidates(words: Uint32Array, layout: FcosCandidateLayout): FcosCandidates {
  if (words.length !== layout.outWords) throw new Error(`candidate read-back holds ${words.length} words, expected ${layout.outWords}`);
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  const counts = layout.topk.map((k, l) => {
    const n = words[l]!;
    if (n > k) throw new Error(`the GPU selected ${n} candidates on level ${l}, more than its ${k}`);
    return n;
  });
  const count = counts.reduce((a, b) => a + b, 0);
  const boxes = new Float32Array(count * 4);
  const scores = new Float32Array(count);
  const classes = new Int32Array(count);
  const k = layout.classes;
  let at = 0;
  counts.forEach((n, l) => {
    for (let j = 0; j < n; j++, at++) {
      const o = CANDIDATE_HEADER_WORDS + (layout.slots[l]! + j) * CANDIDATE_RECORD_WORDS;
      boxes.set(floats.subarray(o, o + 4), at * 4);
      scores[at] = candidateScore(floats[o + 4]!, floats[o + 5]!);
      classes[at] = words[o + 6]! % k;
    }
  });
  return { boxes, scores, classes, count };
}
