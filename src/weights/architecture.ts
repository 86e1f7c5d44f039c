/**
 * Infers the architecture's free parameters (stage depths, widths, D, class count, head kind)
 * from a state dict's names and shapes, so any cvpods/Detectron2 FCOS + dynamic head checkpoint
 * converts without a config file.
 */
import { CheckpointMismatchError } from '../errors';
import type { HeadKind, TopBlockInput } from './config';

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

  let routers = 0;
  const gates = [...shapes.keys()].some((n) => n.startsWith('head.') && n.includes('.gate.gate_conv.'));
  for (const name of shapes.keys()) {
    const m = /^head\.(?:cls|bbox)_subnet\.(\d+)\./.exec(name);
    if (m) routers = Math.max(routers, Number(m[1]) + 1);
  }
  if (routers === 0) missing.push('head.cls_subnet.0.*');
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
    headKind: gates ? 'dynamic' : 'fixed',
  };
}
