import { Graph, type Value } from '../graph/graph';
import { preprocessProgram } from '../ops/preprocess';
import { DEFAULT_SPARSE_CROSSOVER } from '../ops/sparse-crossover';
import type { ModelConfig } from '../weights/config';
import { buildHead, LEVEL_NAMES, planHead, type HeadExecution, type HeadPlan, type RouterCounts } from './dynamic-head';
import type { Taps } from './taps';
import { buildPredictors, type HeadOutputs } from './fcos-head';
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
  /** How the head executes (the one policy point). */
  readonly plan: HeadPlan;
  /** Where each router's per-segment active counts are read (dynamic head). */
  readonly counts: readonly RouterCounts[];
  /** Intermediate tensors kept for debugging and parity (only when asked for). */
  readonly taps: Taps;
  /** With `source`: the RGBA8 upload buffer the pre-processing node reads (set at compile). */
  readonly rgba?: { buffer?: GPUBuffer; readonly height: number; readonly width: number };
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
  options: { taps?: boolean; source?: { height: number; width: number }; execution?: HeadExecution } = {},
): DetectorGraph {
  const graph = new Graph();
  const image = graph.value('input', [1, height, width, 3]);
  const source = options.source;
  const rgba = source ? { height: source.height, width: source.width, buffer: undefined as GPUBuffer | undefined } : undefined;
  if (rgba) {
    // Pre-processing on the GPU: RGBA8 pixels → resize, channel order, normalise, pad.
    graph.add({
      name: 'preprocess',
      stage: 'preprocess',
      inputs: [],
      outputs: [image],
      build: (ctx) => {
        rgba.buffer = ctx.scope.storage(rgba.height * rgba.width * 4, 'rgba image');
        return [preprocessProgram(ctx.scope, rgba as { buffer: GPUBuffer; height: number; width: number }, ctx.tensor(image), config.input)];
      },
    });
  }
  const layers = new LayerBuilder(graph, weights, 'backbone');
  const taps: Taps = new Map();
  const features = buildResNet(layers, image, config.backbone);
  const fpn = buildFpn(layers, features, config.fpn);
  const tapMap = options.taps ? taps : undefined;
  fpn.forEach((v, l) => {
    const [, h, w, c] = v.shape as [number, number, number, number];
    tapMap?.set(`fpn.${LEVEL_NAMES[l]}`, { value: v, offset: 0, rows: h * w, rowLength: c, shape: v.shape });
  });
  const levelSizes = fpn.map((v) => [v.shape[1]!, v.shape[2]!] as const);
  const plan = planHead(config.head, levelSizes, options.execution ?? DEFAULT_EXECUTION);
  const towers = buildHead(layers, fpn, plan, tapMap);
  const head = buildPredictors(layers, towers.output, plan, config);
  graph.markOutput(head.cls);
  graph.markOutput(head.boxCtr);
  for (const tap of taps.values()) graph.markOutput(tap.value);
  return { graph, image, fpn, head, plan, counts: towers.counts, taps, rgba };
}
