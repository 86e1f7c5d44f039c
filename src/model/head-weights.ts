import type { ModelConfig } from '../weights/config';
import { fcosConvsPerTower } from '../weights/engine-tensors';

/** The two towers, in the packed head's tower order. */
export const TOWERS = ['cls_subnet', 'bbox_subnet'] as const;

/**
 * A weight the packed head reads as one tensor although the checkpoint stores it in parts: both
 * towers' convs stacked (one dispatch runs both, the tower index selecting the weights), both
 * scale paths' gates, GroupNorm affines side by side, the box and centerness predictors as one
 * 5-column filter. Each part is an engine tensor (weights/README.md names) after the engine's
 * relayout (HWIO convs, tap-major depthwise), placed at `offset` elements, or — with `columns` —
 * as columns [first, first + count) of a row-major [rows, total] matrix.
 */
export interface StackedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly parts: readonly { readonly source: string; readonly offset: number; readonly columns?: { readonly first: number; readonly total: number } }[];
}

/** Name of router i's stacked weight `what`. */
export const routerWeight = (router: number, what: string) => `head.router.${router}.${what}`;

/** The FCOS baseline's k-th tower conv (`head.<tower>.<3k>`) and its GroupNorm affine [1, 2, C]. */
export const fcosConv = (tower: string, k: number) => `head.${tower}.${3 * k}`;
export const fcosNorm = (tower: string, k: number) => `head.${tower}.${3 * k + 1}.norm`;

/** Every stacked weight of the packed head for `config`. */
export function stackedHeadWeights(config: ModelConfig): StackedWeight[] {
  const h = config.head;
  const c = h.channels;
  const T = TOWERS.length;
  const dynamic = h.kind === 'dynamic';
  const out: StackedWeight[] = [];
  if (h.kind === 'fcos') {
    for (const tower of TOWERS) {
      for (let k = 0; k < fcosConvsPerTower(config); k++) {
        const gn = `head.${tower}.${3 * k + 1}`;
        out.push({ name: fcosNorm(tower, k), shape: [1, 2, c], parts: [{ source: `${gn}.weight`, offset: 0 }, { source: `${gn}.bias`, offset: c }] });
      }
    }
  }
  for (let i = 0; i < (h.kind === 'fcos' ? 0 : h.routersPerTower); i++) {
    const stack = (what: string, shape: number[], part: (t: number, s: number) => { source: string; offset: number } | undefined, paths = 1) => {
      const parts: { source: string; offset: number }[] = [];
      TOWERS.forEach((_, t) => {
        for (let s = 0; s < paths; s++) {
          const p = part(t, s);
          if (p) parts.push(p);
        }
      });
      out.push({ name: routerWeight(i, what), shape, parts });
    };
    const r = (t: number) => `head.${TOWERS[t]}.${i}`;
    const path = (t: number, s: number) => `${r(t)}.dynamic_convs.${s}`;
    if (dynamic) {
      stack('scale_gate.weight', [T, 2, 9, c], (t, s) => ({ source: `${path(t, s)}.gate.gate_conv.weight`, offset: (t * 2 + s) * 9 * c }), 2);
      stack('scale_gate.bias', [T, 2], (t, s) => ({ source: `${path(t, s)}.gate.gate_conv.bias`, offset: t * 2 + s }), 2);
      stack('depth_gate.weight', [T, 1, 9, c], (t) => ({ source: `${r(t)}.depth_module.gate.gate_conv.weight`, offset: t * 9 * c }));
      stack('depth_gate.bias', [T, 1], (t) => ({ source: `${r(t)}.depth_module.gate.gate_conv.bias`, offset: t }));
    }
    stack('dw.weight', [T, 2, 9, c], (t, s) => ({ source: `${path(t, s)}.convs.0.weight`, offset: (t * 2 + s) * 9 * c }), 2);
    stack('dw.bias', [T, 2, c], (t, s) => ({ source: `${path(t, s)}.convs.0.bias`, offset: (t * 2 + s) * c }), 2);
    // Affine set of scale path s in tower t: s·T + t (the scale part's segment order).
    out.push({
      name: routerWeight(i, 'dw.norm'),
      shape: [2 * T, 2, c],
      parts: TOWERS.flatMap((_, t) =>
        [0, 1].flatMap((s) => [
          { source: `${path(t, s)}.convs.1.weight`, offset: ((s * T + t) * 2) * c },
          { source: `${path(t, s)}.convs.1.bias`, offset: ((s * T + t) * 2 + 1) * c },
        ]),
      ),
    });
    for (const k of [1, 2]) {
      const conv = (t: number) => `${r(t)}.depth_module.bottleneck.conv${k}`;
      stack(`conv${k}.weight`, [T, 3, 3, c, c], (t) => ({ source: `${conv(t)}.weight`, offset: t * 9 * c * c }));
      out.push({
        name: routerWeight(i, `conv${k}.norm`),
        shape: [T, 2, c],
        parts: TOWERS.flatMap((_, t) => [
          { source: `${conv(t)}.norm.weight`, offset: t * 2 * c },
          { source: `${conv(t)}.norm.bias`, offset: (t * 2 + 1) * c },
        ]),
      });
    }
    out.push({
      name: routerWeight(i, 'mix'),
      shape: [2, T],
      parts: TOWERS.flatMap((_, t) => [
        { source: `${r(t)}.scale_weight`, offset: t },
        { source: `${r(t)}.output_weight`, offset: T + t },
      ]),
    });
  }
  out.push({
    name: 'head.box_ctr.weight',
    shape: [3, 3, c, 5],
    parts: [
      { source: 'head.bbox_pred.weight', offset: 0, columns: { first: 0, total: 5 } },
      { source: 'head.centerness.weight', offset: 0, columns: { first: 4, total: 5 } },
    ],
  });
  out.push({ name: 'head.box_ctr.bias', shape: [5], parts: [{ source: 'head.bbox_pred.bias', offset: 0 }, { source: 'head.centerness.bias', offset: 4 }] });
  const levels = config.fpn.strides.length;
  out.push({ name: 'head.scales', shape: [levels], parts: Array.from({ length: levels }, (_, l) => ({ source: `head.scales.${l}.scale`, offset: l })) });
  return out;
}
