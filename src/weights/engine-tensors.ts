/**
 * The engine's tensor list for a configuration, and how each comes from the official checkpoint.
 * Engine names are the official names, except that every FrozenBN (`<conv>.norm.*` with running
 * statistics, backbone only) is folded into its conv: `<conv>.weight` (rescaled) + `<conv>.bias`
 * (new). GroupNorm parameters (`.norm.weight/.bias` in the head, `convs.1.*`) are kept as they are.
 */
import type { ModelConfig } from './config';

export type TensorRecipe =
  | { readonly kind: 'copy'; readonly source: string }
  /** `<conv>.weight · γ/√(var+eps)` per output channel */
  | { readonly kind: 'fold-weight'; readonly conv: string }
  /** `β − mean · γ/√(var+eps)` */
  | { readonly kind: 'fold-bias'; readonly conv: string };

export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly recipe: TensorRecipe;
  /** Checkpoint tensors this one is made from, with the shapes they must have. */
  readonly sources: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

export const BN_PARAMS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  const copy = (name: string, shape: readonly number[]) =>
    out.push({ name, shape, recipe: { kind: 'copy', source: name }, sources: [{ name, shape }] });
  const convBn = (conv: string, cout: number, cin: number, k: number) => {
    const weight = [cout, cin, k, k];
    const sources = [
      { name: `${conv}.weight`, shape: weight },
      ...BN_PARAMS.map((p) => ({ name: `${conv}.norm.${p}`, shape: [cout] })),
    ];
    out.push({ name: `${conv}.weight`, shape: weight, recipe: { kind: 'fold-weight', conv }, sources });
    out.push({ name: `${conv}.bias`, shape: [cout], recipe: { kind: 'fold-bias', conv }, sources: sources.slice(1) });
  };
  const convBias = (prefix: string, cout: number, cin: number, k: number) => {
    copy(`${prefix}.weight`, [cout, cin, k, k]);
    copy(`${prefix}.bias`, [cout]);
  };

  const b = config.backbone;
  const bb = 'backbone.bottom_up';
  convBn(`${bb}.stem.conv1`, b.stemChannels, 3, 7);
  let cin = b.stemChannels;
  const resOut: number[] = [];
  b.stageBlocks.forEach((blocks, s) => {
    const cout = b.res2Channels * 2 ** s;
    const width = b.widthPerGroup * b.numGroups * 2 ** s;
    for (let i = 0; i < blocks; i++) {
      const p = `${bb}.res${s + 2}.${i}`;
      if (cin !== cout) convBn(`${p}.shortcut`, cout, cin, 1);
      convBn(`${p}.conv1`, width, cin, 1);
      convBn(`${p}.conv2`, width, width / b.numGroups, 3);
      convBn(`${p}.conv3`, cout, width, 1);
      cin = cout;
    }
    resOut.push(cout);
  });

  const f = config.fpn.channels;
  [3, 4, 5].forEach((level, k) => {
    convBias(`backbone.fpn_lateral${level}`, f, resOut[k + 1], 1);
    convBias(`backbone.fpn_output${level}`, f, f, 3);
  });
  convBias('backbone.top_block.p6', f, config.fpn.topBlockInput === 'c5' ? resOut[3] : f, 3);
  convBias('backbone.top_block.p7', f, f, 3);

  const h = config.head;
  const c = h.channels;
  const gates = h.kind === 'dynamic';
  for (const tower of ['cls_subnet', 'bbox_subnet']) {
    for (let i = 0; i < h.routersPerTower; i++) {
      const p = `head.${tower}.${i}`;
      copy(`${p}.scale_weight`, [1]);
      copy(`${p}.output_weight`, [1]);
      for (const s of [0, 1]) {
        const q = `${p}.dynamic_convs.${s}`;
        convBias(`${q}.convs.0`, c, 1, 3); // depthwise 3×3
        copy(`${q}.convs.1.weight`, [c]); // GroupNorm
        copy(`${q}.convs.1.bias`, [c]);
        if (gates) convBias(`${q}.gate.gate_conv`, 1, c, 3);
      }
      for (const k of [1, 2]) {
        const q = `${p}.depth_module.bottleneck.conv${k}`;
        copy(`${q}.weight`, [c, c, 3, 3]);
        copy(`${q}.norm.weight`, [c]); // GroupNorm
        copy(`${q}.norm.bias`, [c]);
      }
      if (gates) convBias(`${p}.depth_module.gate.gate_conv`, 1, c, 3);
    }
  }
  convBias('head.cls_score', h.numClasses, c, 3);
  convBias('head.bbox_pred', 4, c, 3);
  convBias('head.centerness', 1, c, 3);
  for (let l = 0; l < 5; l++) copy(`head.scales.${l}.scale`, [1]);
  return out;
}
