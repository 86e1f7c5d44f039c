import { Graph, type Value } from '../graph/graph';
import { DEFAULT_SPARSE_CROSSOVER } from '../ops/sparse-crossover';
import type { ModelConfig } from '../weights/config';
import { buildTower, LEVEL_NAMES, type HeadExecution, type Taps } from './dynamic-head';
import { buildPredictors, type HeadOutputs } from './fcos-head';
import { buildFpn } from './fpn';
import { LayerBuilder, type WeightTable } from './layers';
import { buildResNet } from './resnet';

/**
 * Sparse at every level: since compaction is one dispatch for the head's map sizes and sparse
 * conv tiles are 32 rows, the gather–scatter head beats the dense-masked one even on the
 * smallest maps (bench/engine.ts; `minSparsePixels` keeps small levels dense-masked if an
 * adapter ever wants it).
 */
export const DEFAULT_EXECUTION: HeadExecution = { mode: 'sparse', crossover: DEFAULT_SPARSE_CROSSOVER, minSparsePixels: 0 };

export interface DetectorGraph {
  readonly graph: Graph;
  /** The pre-processed image, NHWC [1, H, W, 3] (H, W multiples of the size divisibility). */
  readonly image: Value;
  readonly fpn: Value[];
  readonly head: HeadOutputs;
  /** Intermediate tensors kept for debugging and parity (only when asked for). */
  readonly taps: Taps;
}

/**
 * The whole network for one padded input size as a graph: ResNet → FPN → two towers → FCOS
 * predictors. With `taps`, FPN outputs, every gate/mask/router output are kept as outputs too
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
  tapMap?.set('input', image);
  fpn.forEach((v, l) => tapMap?.set(`fpn.${LEVEL_NAMES[l]}`, v));
  const execution = options.execution ?? DEFAULT_EXECUTION;
  const cls = buildTower(layers, 'cls_subnet', fpn, config.head, execution, tapMap);
  const bbox = buildTower(layers, 'bbox_subnet', fpn, config.head, execution, tapMap);
  const head = buildPredictors(layers, cls, bbox, config);
  for (const v of [...head.clsLogits, ...head.bboxReg, ...head.centerness]) graph.markOutput(v);
  for (const v of taps.values()) graph.markOutput(v);
  return { graph, image, fpn, head, taps };
}
