/**
 * The engine's tensor list for a configuration, and how each comes from the official checkpoint.
 * Engine names are the official names, except that every FrozenBN (`<conv>.norm.*` with running
 * statistics, backbone only) is folded into its conv: `<conv>.weight` (rescaled) + `<conv>.bias`
 * (new). GroupNorm parameters (`.norm.weight/.bias` in the head, `convs.1.*`) are kept as they are.
 */
import type { ModelConfig } from './config';

export type TensorRecipe =
  | { readonly kind: 'copy'; readonly source: string }
  /** A constant the checkpoint's layout implies (the official Fix head has no `scale_weight`: 1). */
  | { readonly kind: 'fill'; readonly value: number }
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

/**
 * The module tree a checkpoint's head was saved from (official cvpods, `cvpods/modeling/meta_arch/fcos.py`):
 * - `dynamic`: FCOSDynamicHead — routers `head.<T>.<i>` (DynamicScale: `dynamic_convs.<s>.convs.{0,1}`,
 *   `scale_weight`, `output_weight`, `depth_module.bottleneck.conv{1,2}`, spatial gates). Also read
 *   as a fixed head (gates unused).
 * - `fix`: FCOSFixHead — routers `head.<T>.<i>` (ScaleConv2d: `convs.<s>.{0,1}`, `output_weight`, no
 *   `scale_weight` (the scale sum is added unweighted), `depth_module.bottleneck.conv{1,2}`).
 * - `fcos`: FCOSHead — `head.<T>.<3k>` conv 3×3 (bias), `head.<T>.<3k+1>` GroupNorm, k < NUM_CONVS.
 * The engine names of a fixed head are the `dynamic` names whichever layout it came from.
 */
export type HeadLayout = 'dynamic' | 'fix' | 'fcos';

export function defaultHeadLayout(config: ModelConfig): HeadLayout {
  return config.head.kind === 'fcos' ? 'fcos' : 'dynamic';
}

/** The FCOS baseline's convs per tower (NUM_CONVS = 2·D). */
export function fcosConvsPerTower(config: ModelConfig): number {
  return 2 * config.head.routersPerTower;
}

export function expectedTensors(config: ModelConfig, layout: HeadLayout = defaultHeadLayout(config)): ExpectedTensor[] {
  if ((layout === 'fcos') !== (config.head.kind === 'fcos')) throw new Error(`internal: a ${config.head.kind} head cannot come from the ${layout} layout`);
  if (layout === 'fix' && config.head.kind !== 'fixed') throw new Error('internal: the Fix layout has no gates');
  const out: ExpectedTensor[] = [];
  const copyFrom = (name: string, source: string, shape: readonly number[]) =>
    out.push({ name, shape, recipe: { kind: 'copy', source }, sources: [{ name: source, shape }] });
  const copy = (name: string, shape: readonly number[]) => copyFrom(name, name, shape);
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
    if (layout === 'fcos') {
      // nn.Sequential of (Conv2d, GroupNorm, ReLU) × NUM_CONVS
      for (let k = 0; k < fcosConvsPerTower(config); k++) {
        convBias(`head.${tower}.${3 * k}`, c, c, 3);
        copy(`head.${tower}.${3 * k + 1}.weight`, [c]); // GroupNorm
        copy(`head.${tower}.${3 * k + 1}.bias`, [c]);
      }
      continue;
    }
    for (let i = 0; i < h.routersPerTower; i++) {
      const p = `head.${tower}.${i}`;
      if (layout === 'fix') out.push({ name: `${p}.scale_weight`, shape: [1], recipe: { kind: 'fill', value: 1 }, sources: [] });
      else copy(`${p}.scale_weight`, [1]);
      copy(`${p}.output_weight`, [1]);
      for (const s of [0, 1]) {
        const q = `${p}.dynamic_convs.${s}`;
        const from = layout === 'fix' ? `${p}.convs.${s}` : `${q}.convs`;
        copyFrom(`${q}.convs.0.weight`, `${from}.0.weight`, [c, 1, 3, 3]); // depthwise 3×3
        copyFrom(`${q}.convs.0.bias`, `${from}.0.bias`, [c]);
        copyFrom(`${q}.convs.1.weight`, `${from}.1.weight`, [c]); // GroupNorm
        copyFrom(`${q}.convs.1.bias`, `${from}.1.bias`, [c]);
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
