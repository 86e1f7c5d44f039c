import type { Value } from '../graph/graph';
import type { HeadConfig } from '../weights/config';
import type { LayerBuilder } from './layers';
import { compact, countGate, gateMasks, scalePath, sparseConv } from './sparse-layers';

export const LEVEL_NAMES = ['p3', 'p4', 'p5', 'p6', 'p7'] as const;

/** Debug taps named as the reference's golden files (tools/reference/README.md). */
export type Taps = Map<string, Value>;

/**
 * How the dynamic head executes its gated convolutions:
 * - `sparse`: gather–scatter — masks and active-pixel lists built on the GPU, the depth path's
 *   convs computed only at active pixels (indirect dispatch; dense above `crossover`), the scale
 *   paths fused (depthwise → GroupNorm → × gate). Counts are probed for densities and MACs.
 * - `dense-masked`: every conv dense, GroupNorm statistics over the active pixels, inactive
 *   pixels zeroed: the straightforward formulation, kept as the baseline the sparse path must
 *   equal.
 */
export interface HeadExecution {
  readonly mode: 'sparse' | 'dense-masked';
  /** Largest active fraction that still runs sparse (per router, per level, decided on the GPU). */
  readonly crossover: number;
  /**
   * Levels with fewer pixels run the depth path dense-masked under `sparse` too, decided at plan
   * time: on tiny maps compaction and indirect dispatch cost more than the work they save.
   */
  readonly minSparsePixels?: number;
}

/**
 * The fine-grained dynamic head's towers (spec §4): D routers, each a scale part (two gated
 * depthwise paths from the neighbouring levels, resized bilinearly with align_corners=True) and a
 * depth part (a gated residual bottleneck). This is the dense-masked formulation of the official
 * masked inference: convs run dense, GroupNorm statistics are taken over the active pixels only
 * and inactive pixels are zero — numerically what the official gather/conv/scatter computes.
 * A `fixed` head treats every gate as 1.
 */
export function buildTower(
  layers: LayerBuilder,
  tower: 'cls_subnet' | 'bbox_subnet',
  levels: Value[],
  config: HeadConfig,
  execution: HeadExecution,
  taps?: Taps,
): Value[] {
  layers.stage = 'head';
  let x = levels;
  for (let i = 0; i < config.routersPerTower; i++) x = buildRouter(layers, `${tower}.${i}`, x, config, execution, taps);
  return x;
}

export function buildRouter(layers: LayerBuilder, name: string, x: Value[], config: HeadConfig, execution: HeadExecution, taps?: Taps): Value[] {
  const sparse = execution.mode === 'sparse';
  const norm = { groups: config.gnGroups, eps: config.gnEps };
  const p = `head.${name}`;
  const dynamic = config.kind === 'dynamic';
  const gate = (prefix: string, input: Value, tapBase: string, level: string): Value => {
    const [g, logit] = layers.spatialGate(prefix, input, config.gateActivation, config.gateTau);
    taps?.set(`${tapBase}.gate.${level}`, g).set(`${tapBase}.gate_logit.${level}`, logit);
    return g;
  };

  // Scale part: path 0 carries level l−1 down to l, path 1 carries level l+1 up to l.
  const incoming: Value[][] = x.map(() => []);
  for (const s of [0, 1] as const) {
    const q = `${p}.dynamic_convs.${s}`;
    x.forEach((source, l) => {
      const target = s === 0 ? l + 1 : l - 1;
      if (target < 0 || target >= x.length) return;
      const level = LEVEL_NAMES[l];
      if (dynamic) {
        // The fused exact scale path (depthwise → GroupNorm → × gate) serves both modes.
        const g = gate(`${q}.gate`, source, `${name}.scale${s}`, level);
        countGate(layers, g, `${name}.scale${s}.${level}`);
        incoming[target]!.push(scalePath(layers, q, source, g, { ...norm, name: `${name}.scale${s}.path.${level}` }));
        return;
      }
      const d = layers.depthwise(`${q}.convs.0`, source, `${name}.scale${s}.dw.${level}`);
      incoming[target]!.push(layers.groupNorm(`${q}.convs.1`, d, config.gnGroups, config.gnEps));
    });
  }

  const scaleWeight = layers.weight(`${p}.scale_weight`);
  const outputWeight = layers.weight(`${p}.output_weight`);
  return x.map((xl, l) => {
    const level = LEVEL_NAMES[l];
    const [first, ...rest] = incoming[l]!;
    let acc = layers.resize(first!, xl.shape, `${name}.sum.${level}`);
    for (const path of rest) acc = layers.resize(path, xl.shape, `${name}.sum.${level}`, acc);
    const y = layers.axpby(acc, scaleWeight, xl, outputWeight, `${name}.y.${level}`);

    // Depth part: conv1 on the dilated gate mask, conv2 on the gate mask, ReLU(o·g + y).
    const b = `${p}.depth_module.bottleneck`;
    if (!dynamic) {
      let h = layers.conv(`${b}.conv1`, y, { bias: false, name: `${name}.depth.h.${level}` });
      h = layers.groupNorm(`${b}.conv1.norm`, h, config.gnGroups, config.gnEps, { relu: true });
      let o = layers.conv(`${b}.conv2`, h, { bias: false, name: `${name}.depth.o.${level}` });
      o = layers.groupNorm(`${b}.conv2.norm`, o, config.gnGroups, config.gnEps);
      const out = layers.addRelu(o, y, `${name}.out.${level}`);
      taps?.set(`${name}.out.${level}`, out);
      return out;
    }
    const g = gate(`${p}.depth_module.gate`, y, `${name}.depth`, level);
    const [, height, width] = y.shape as [number, number, number, number];
    if (sparse && height * width >= (execution.minSparsePixels ?? 0)) {
      const masks = gateMasks(layers, g, `${name}.depth.${level}`);
      taps?.set(`${name}.depth.mask_dilated.${level}`, masks.dilated).set(`${name}.depth.mask.${level}`, masks.mask);
      const onDilated = compact(layers, masks.dilated, `${name}.depth.dilated.${level}`);
      const onGate = compact(layers, masks.mask, `${name}.depth.${level}`);
      const opts = { ...norm, crossover: execution.crossover };
      const h = sparseConv(layers, `${b}.conv1`, y, onDilated, { kind: 'relu' }, { ...opts, name: `${name}.depth.h.${level}` });
      const out = sparseConv(layers, `${b}.conv2`, h, onGate, { kind: 'gated-residual', gate: g, residual: y }, { ...opts, name: `${name}.out.${level}` });
      taps?.set(`${name}.out.${level}`, out);
      return out;
    }
    const dilated = layers.maxPool(g, 1, `${name}.depth.mask_dilated.${level}`);
    taps?.set(`${name}.depth.mask_dilated.${level}`, dilated);
    // Counted for densities and executed MACs, as the sparse path's compaction counts them.
    countGate(layers, g, `${name}.depth.${level}`);
    countGate(layers, dilated, `${name}.depth.dilated.${level}`);
    let h = layers.conv(`${b}.conv1`, y, { bias: false, name: `${name}.depth.h.${level}` });
    h = layers.groupNorm(`${b}.conv1.norm`, h, config.gnGroups, config.gnEps, { relu: true, mask: dilated });
    let o = layers.conv(`${b}.conv2`, h, { bias: false, name: `${name}.depth.o.${level}` });
    o = layers.groupNorm(`${b}.conv2.norm`, o, config.gnGroups, config.gnEps, { mask: g });
    const out = layers.gateResidualRelu(o, g, y, `${name}.out.${level}`);
    taps?.set(`${name}.out.${level}`, out);
    return out;
  });
}
