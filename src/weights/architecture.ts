/**
 * Infers the architecture's free parameters (stage depths, widths, D, class count, head kind)
 * from a state dict's names and shapes, so any cvpods/Detectron2 FCOS + dynamic head checkpoint
 * converts without a config file.
 */
import { CheckpointMismatchError } from '../errors';
import type { HeadKind, TopBlockInput } from './config';
import type { HeadLayout } from './engine-tensors';

export interface InferredArchitecture {
  readonly depth: number;
  readonly stageBlocks: readonly number[];
  readonly stemChannels: number;
  readonly res2Channels: number;
  readonly widthPerGroup: number;
  readonly numGroups: number;
  readonly fpnChannels: number;
  readonly topBlockInput: TopBlockInput;
  readonly headChannels: number;
  readonly routersPerTower: number;
  readonly numClasses: number;
  readonly headKind: HeadKind;
  /** Which official head module tree the names come from (engine-tensors.ts). */
  readonly headLayout: HeadLayout;
}

const BB = 'backbone.bottom_up';
const MAX_BLOCKS = 1000;
const MAX_ROUTERS = 1024;

export function inferArchitecture(shapes: ReadonlyMap<string, readonly number[]>): InferredArchitecture {
  const missing: string[] = [];
  const dim = (name: string, axis: number): number => {
    const s = shapes.get(name);
    if (!s || s.length <= axis || !(s[axis] > 0)) {
      missing.push(name);
      return 1;
    }
    return s[axis];
  };
  const stageBlocks = [2, 3, 4, 5].map((stage) => {
    let n = 0;
    while (n < MAX_BLOCKS && shapes.has(`${BB}.res${stage}.${n}.conv1.weight`)) n++;
    if (n === 0) missing.push(`${BB}.res${stage}.0.conv1.weight`);
    return n;
  });
  const stemChannels = dim(`${BB}.stem.conv1.weight`, 0);
  const res2Channels = dim(`${BB}.res2.0.conv3.weight`, 0);
  const bottleneck = dim(`${BB}.res2.0.conv1.weight`, 0);
  const perGroupIn = dim(`${BB}.res2.0.conv2.weight`, 1);
  const numGroups = bottleneck % perGroupIn === 0 ? bottleneck / perGroupIn : 1;
  const fpnChannels = dim('backbone.fpn_lateral3.weight', 0);
  const p6In = dim('backbone.top_block.p6.weight', 1);
  const headChannels = dim('head.cls_score.weight', 1);
  const numClasses = dim('head.cls_score.weight', 0);

  const { routers, kind, layout } = inferHead(shapes, missing);
  if (missing.length > 0) throw new CheckpointMismatchError(missing, [], 'cannot infer the architecture');
  if (routers > MAX_ROUTERS) throw new CheckpointMismatchError([], [], `${routers} routers per tower is implausible`);

  const res5 = res2Channels * 8;
  // P6 reads C5 unless C5 already has the FPN width (the official quirk) or the checkpoint says so.
  const topBlockInput: TopBlockInput = p6In === res5 && res5 !== fpnChannels ? 'c5' : p6In === fpnChannels ? 'p5' : 'c5';
  const sum = stageBlocks.reduce((a, b) => a + b, 0);
  return {
    depth: 2 + 3 * sum, // bottleneck ResNets: 50 for [3,4,6,3], 101 for [3,4,23,3]
    stageBlocks,
    stemChannels,
    res2Channels,
    widthPerGroup: bottleneck / numGroups,
    numGroups,
    fpnChannels,
    topBlockInput,
    headChannels,
    routersPerTower: routers,
    numClasses,
    headKind: kind,
    headLayout: layout,
  };
}

/**
 * The head's kind, layout and depth D from its names: spatial gates → the dynamic head;
 * `head.cls_subnet.<i>.convs.<s>.0.weight` → the official Fix head (FCOSFixHead); a 4-D
 * `head.cls_subnet.<i>.weight` → the FCOS baseline (FCOSHead: its convs sit at 0, 3, 6, …, and
 * D = NUM_CONVS / 2); DynamicScale names without gates → a fixed head.
 */
function inferHead(shapes: ReadonlyMap<string, readonly number[]>, missing: string[]): { routers: number; kind: HeadKind; layout: HeadLayout } {
  const names = [...shapes.keys()].filter((n) => n.startsWith('head.'));
  const gates = names.some((n) => n.includes('.gate.gate_conv.'));
  const fcosConvs = new Set<number>();
  let routers = 0;
  let fix = false;
  for (const name of names) {
    const conv = /^head\.(?:cls|bbox)_subnet\.(\d+)\.weight$/.exec(name);
    if (conv && shapes.get(name)!.length === 4) fcosConvs.add(Number(conv[1]));
    const m = /^head\.(?:cls|bbox)_subnet\.(\d+)\.(.+)$/.exec(name);
    if (m && /^(dynamic_convs|convs|depth_module|scale_weight|output_weight)\b/.test(m[2]!)) routers = Math.max(routers, Number(m[1]) + 1);
    if (m && /^convs\.\d+\.\d+\./.test(m[2]!)) fix = true;
  }
  if (fcosConvs.size > 0) {
    if (routers > 0) throw new CheckpointMismatchError([], [], 'the head mixes FCOS tower convs with router modules');
    const count = Math.max(...fcosConvs) / 3 + 1;
    if (count / 2 > MAX_ROUTERS) throw new CheckpointMismatchError([], [], `NUM_CONVS = ${count} is implausible`);
    if (!Number.isInteger(count) || Array.from({ length: count }, (_, k) => 3 * k).some((i) => !fcosConvs.has(i))) {
      throw new CheckpointMismatchError([], [], `the FCOS towers' convs sit at ${[...fcosConvs].sort((a, b) => a - b).join(', ')}, not every third module (conv, GroupNorm, ReLU)`);
    }
    if (count % 2 !== 0) throw new CheckpointMismatchError([], [], `NUM_CONVS = ${count}: the engine runs FCOS towers of an even number of convs (2·D)`);
    return { routers: count / 2, kind: 'fcos', layout: 'fcos' };
  }
  if (routers === 0) missing.push('head.cls_subnet.0.*');
  if (gates) return { routers, kind: 'dynamic', layout: 'dynamic' };
  return { routers, kind: 'fixed', layout: fix ? 'fix' : 'dynamic' };
}
