import { Graph, type ReadRequest, type Value } from '../graph/graph';
import { DEFAULT_SPARSE_CROSSOVER } from '../ops/sparse-crossover';
import type { ModelConfig } from '../weights/config';
import { buildHead, LEVEL_NAMES, planHead, type HeadExecution, type HeadPlan, type RouterCounts } from './dynamic-head';
import type { Taps } from './taps';
import { buildCandidates, type CandidateOutputs } from './fcos-candidates';
import { buildPredictors, packedTower, type HeadOutputs } from './fcos-head';
import { buildFcosTowers } from './fcos-towers';
import { buildFpn } from './fpn';
import { LayerBuilder, type WeightTable } from './layers';
import { buildResNet } from './resnet';

/** Gather–scatter over every level of both towers, the dense fallback above the crossover. */
export const DEFAULT_EXECUTION: HeadExecution = { mode: 'sparse', crossover: DEFAULT_SPARSE_CROSSOVER };

export interface DetectorGraph {
  readonly graph: Graph;
  /** The pre-processed image, NHWC [1, H, W, 3] (H, W multiples of the size divisibility). */
  readonly image: Value;
  readonly fpn: Value[];
  readonly head: HeadOutputs;
  /** The GPU candidate selection (absent when a level could keep more than it sorts: CPU path). */
  readonly candidates?: CandidateOutputs;
  /** How the head executes (the one policy point). */
  readonly plan: HeadPlan;
  /** Where each router's per-segment active counts are read (dynamic head). */
  readonly counts: readonly RouterCounts[];
  /** Intermediate tensors kept for debugging and parity (only when asked for). */
  readonly taps: Taps;
}

/**
 * The whole network for one padded input size as a graph: ResNet → FPN → two towers (dynamic or
 * fixed routers, or the FCOS baseline's conv + GN + ReLU stacks) → FCOS
 * predictors → FCOS candidate selection. With `taps`, FPN outputs, every gate/mask/router output are kept as outputs too
 * (named like the reference's golden files); otherwise their memory is reused.
 */
export function buildDetectorGraph(
  config: ModelConfig,
  weights: WeightTable,
  height: number,
  width: number,
  options: { taps?: boolean; execution?: HeadExecution } = {},
): DetectorGraph {
  const graph = new Graph();
  // Written before the graph runs (the engine's input stage, or a pre-processed upload).
  const image = graph.value('input', [1, height, width, 3]);
  const layers = new LayerBuilder(graph, weights, 'backbone');
  const taps: Taps = new Map();
  const features = buildResNet(layers, image, config.backbone);
  const fpn = buildFpn(layers, features, config.fpn);
  const tapMap = options.taps ? taps : undefined;
  tapMap?.set('input', { value: image, offset: 0, rows: height * width, rowLength: 3, shape: image.shape });
  fpn.forEach((v, l) => {
    const [, h, w, c] = v.shape as [number, number, number, number];
    tapMap?.set(`fpn.${LEVEL_NAMES[l]}`, { value: v, offset: 0, rows: h * w, rowLength: c, shape: v.shape });
  });
  const levelSizes = fpn.map((v) => [v.shape[1]!, v.shape[2]!] as const);
  const plan = planHead(config.head, levelSizes, options.execution ?? DEFAULT_EXECUTION);
  let counts: readonly RouterCounts[] = [];
  let towers;
  if (config.head.kind === 'fcos') {
    towers = buildFcosTowers(layers, fpn, plan, config, tapMap);
  } else {
    const routers = buildHead(layers, fpn, plan, tapMap);
    counts = routers.counts;
    towers = { cls: packedTower(routers.output, 0), bbox: packedTower(routers.output, 1) };
  }
  const head = buildPredictors(layers, towers, plan, config);
  graph.markOutput(head.cls);
  graph.markOutput(head.boxCtr);
  const candidates = buildCandidates(graph, head, config);
  for (const tap of taps.values()) graph.markOutput(tap.value);
  return { graph, image, fpn, head, candidates, plan, counts, taps };
}

/**
 * What one run reads back: the head's full maps (`maps`: the CPU candidate path, or taps), the
 * GPU's candidate records (`candidates`, when the graph has them), the routers' counts and the taps.
 */
export function readRequests(detector: DetectorGraph, what: { readonly maps: boolean; readonly candidates: boolean }): ReadRequest[] {
  const { head, candidates } = detector;
  return [
    ...(what.maps ? [head.cls, head.boxCtr] : []),
    ...(what.candidates && candidates ? [candidates.out] : []),
    ...detector.counts.map((c) => c.range),
    ...new Set([...detector.taps.values()].map((t) => t.value)),
  ];
}
