import { InvalidArgumentError, WeightsFormatError } from '../errors';
import type { BuildContext, ReadRange, Value } from '../graph/graph';
import { ActiveListsLayout } from '../ops/active-lists';
import { depthPartPrograms, depthPartScratch } from '../ops/depth-part';
import { PackedLevels } from '../ops/packed-levels';
import { scalePartPrograms, scalePartScratch } from '../ops/scale-part';
import type { Tensor } from '../ops/tensor';
import type { HeadConfig } from '../weights/config';
import { routerWeight, TOWERS } from './head-weights';
import type { LayerBuilder } from './layers';
import type { Taps } from './taps';

export const LEVEL_NAMES = ['p3', 'p4', 'p5', 'p6', 'p7'] as const;
export type { Taps } from './taps';

/**
 * How the dynamic head executes its gated convolutions (public option):
 * - `sparse`: conv1 / conv2 run only at the active pixels of the gate masks, listed on the GPU by
 *   one compaction per router; a router whose active fraction is above `crossover` takes the
 *   dense fallback (decided on the GPU, per router and list).
 * - `dense-masked`: every router takes the dense fallback: every pixel computed, GroupNorm over
 *   the active pixels only, inactive pixels zero — the baseline the sparse head must equal.
 */
export interface HeadExecution {
  readonly mode: 'sparse' | 'dense-masked';
  /** Largest active fraction of a router's pixels that still runs sparse. */
  readonly crossover: number;
}

/**
 * The one policy point of the head (style.md): how the head executes, decided once per model and
 * input size; every layer of the head reads it and no kernel re-decides it.
 */
export interface HeadPlan {
  readonly kind: HeadConfig['kind'];
  /** Both towers' levels, packed. */
  readonly levels: PackedLevels;
  readonly channels: number;
  readonly routers: number;
  readonly groups: number;
  readonly eps: number;
  readonly activation: HeadConfig['gateActivation'];
  readonly tau: number;
  /** The dense-fallback threshold the compaction applies (0: always dense; dynamic head only). */
  readonly crossover: number;
}

export function planHead(config: HeadConfig, levelSizes: readonly (readonly [number, number])[], execution: HeadExecution): HeadPlan {
  if (!(execution.crossover >= 0 && execution.crossover <= 1)) {
    throw new InvalidArgumentError('crossover', `expected a fraction in [0, 1], got ${execution.crossover}`);
  }
  if (execution.mode !== 'sparse' && execution.mode !== 'dense-masked') {
    throw new InvalidArgumentError('execution.mode', `expected 'sparse' or 'dense-masked', got ${String(execution.mode)}`);
  }
  if (config.channels % 4 !== 0 || config.channels % config.gnGroups !== 0) {
    throw new WeightsFormatError(`the head's width ${config.channels} must be a multiple of 4 and of its ${config.gnGroups} GroupNorm groups`);
  }
  if (!config.centernessOnReg) throw new WeightsFormatError('centerness on the classification tower (CENTERNESS_ON_REG = False) is not supported');
  return {
    kind: config.kind,
    levels: new PackedLevels(levelSizes, TOWERS.length),
    channels: config.channels,
    routers: config.routersPerTower,
    groups: config.gnGroups,
    eps: config.gnEps,
    activation: config.gateActivation,
    tau: config.gateTau,
    crossover: execution.mode === 'dense-masked' ? 0 : execution.crossover,
  };
}

/** Where one router's per-segment active counts are read from after a run (ActiveListsLayout). */
export interface RouterCounts {
  readonly router: number;
  readonly layout: ActiveListsLayout;
  /** `active` (dilated, gate) then `scaleActive` (path 0, 1): 4 · S words. */
  readonly range: ReadRange;
}

export interface HeadGraph {
  /** Both towers' outputs, packed [2, R, C]: tower 0 cls_subnet, tower 1 bbox_subnet. */
  readonly output: Value;
  /** Dynamic head: one per router. */
  readonly counts: RouterCounts[];
}

/**
 * The fine-grained dynamic head's towers (spec §4) over the packed layout: both towers and all
 * levels of a router in a handful of dispatches. Scale part: both paths' gates, depthwise convs
 * and GroupNorm statistics at once, then one fused normalise · gate → bilinear → Σ → axpby.
 * Depth part: the depth gate, one compaction (gate and dilated lists), conv1 at the dilated rows,
 * its statistics, conv2 at the gate rows with conv1's GroupNorm + ReLU applied on load, its
 * statistics, and ReLU(o · g + y). A fixed head runs the same with every gate 1, densely.
 */
export function buildHead(layers: LayerBuilder, fpn: readonly Value[], plan: HeadPlan, taps?: Taps): HeadGraph {
  layers.stage = 'head';
  const { levels } = plan;
  const c = plan.channels;
  const packed = packFpnLevels(layers, fpn, levels, c);
  let x = packed;
  const counts: RouterCounts[] = [];
  for (let i = 0; i < plan.routers; i++) {
    const router = buildRouter(layers, plan, i, x, taps);
    x = router.output;
    if (router.counts) counts.push(router.counts);
  }
  return { output: x, counts };
}

/** Copies the FPN levels into one packed [1, R, C] value (rows in level order), shared by the towers. */
export function packFpnLevels(layers: LayerBuilder, fpn: readonly Value[], levels: PackedLevels, c: number): Value {
  const packed = layers.graph.value('fpn.packed', [1, levels.rows, c]);
  layers.graph.add({
    name: 'pack FPN levels',
    stage: 'head',
    inputs: [...fpn],
    outputs: [packed],
    build: () => [],
    copies: (ctx) =>
      fpn.map((v, l) => ({ from: ctx.tensor(v).buffer, fromOffset: 0, to: ctx.tensor(packed).buffer, toOffset: levels.offsets[l]! * c * 4, size: levels.pixels(l) * c * 4 })),
  });
  return packed;
}

/**
 * Router i (0-based; its stacked weights `head.router.<i>.*`) on a packed input [T, R, C], or
 * [1, R, C] shared by the towers: a scale-part node and a depth-part node.
 */
export function buildRouter(layers: LayerBuilder, plan: HeadPlan, i: number, x: Value, taps?: Taps): { output: Value; counts?: RouterCounts } {
  layers.stage = 'head';
  return new PackedHeadBuilder(layers, plan, taps).router(i, x);
}

/** The planned tensors of a record of values. */
function tensorsOf<K extends string>(ctx: BuildContext, values: Record<K, Value>): Record<K, Tensor> {
  return Object.fromEntries(Object.entries<Value>(values).map(([k, v]) => [k, ctx.tensor(v)])) as Record<K, Tensor>;
}

class PackedHeadBuilder {
  constructor(
    private readonly layers: LayerBuilder,
    private readonly plan: HeadPlan,
    private readonly taps?: Taps,
  ) {}

  private get graph() {
    return this.layers.graph;
  }

  private weight(i: number, what: string): Tensor {
    return this.layers.weight(routerWeight(i, what));
  }

  /** Graph values for a set of workspace shapes, named `<prefix>.<key>`. */
  private values<K extends string>(prefix: string, shapes: Record<K, number[]>): Record<K, Value> {
    return Object.fromEntries(Object.entries<number[]>(shapes).map(([k, shape]) => [k, this.graph.value(`${prefix}.${k}`, shape)])) as Record<K, Value>;
  }

  /** Taps per (tower, level) of a packed [.., T·R, width] value from element `base`. */
  private tapLevels(name: (tower: string, level: string) => string, value: Value, width: number, base = 0, kind?: 'mask', levelsUsed?: readonly number[]) {
    if (!this.taps) return;
    const { levels } = this.plan;
    TOWERS.forEach((tower, t) => {
      levels.sizes.forEach(([h, w], l) => {
        if (levelsUsed && !levelsUsed.includes(l)) return;
        this.taps!.set(name(tower, LEVEL_NAMES[l]!), { value, offset: base + (t * levels.rows + levels.offsets[l]!) * width, rows: h * w, rowLength: width, shape: [1, h, w, width], kind });
      });
    });
  }

  /** One router: a scale-part node and a depth-part node (the depth part rewrites y in place). */
  router(i: number, x: Value): { output: Value; counts?: RouterCounts } {
    const { levels, channels: c, groups, eps, activation, tau } = this.plan;
    const dynamic = this.plan.kind === 'dynamic';
    const towers = levels.towers;
    const name = (tower: string) => `${tower}.${i}`;

    const scale = this.values(`router${i}.scale`, scalePartScratch(levels, c, groups));
    const gates = dynamic ? this.graph.value(`router${i}.scale.gates`, [2, towers, levels.rows]) : undefined;
    const scaleLogits = dynamic && this.taps ? this.graph.value(`router${i}.scale.logits`, [2, towers, levels.rows]) : undefined;
    const y = this.graph.value(`router${i}.y`, [towers, levels.rows, c]);
    this.graph.add({
      name: `router ${i} scale part`,
      stage: 'head',
      inputs: [x],
      outputs: [y, scale.d, scale.affine, scale.partials, ...(gates ? [gates] : []), ...(scaleLogits ? [scaleLogits] : [])],
      build: (ctx) =>
        scalePartPrograms(ctx.scope, {
          levels,
          input: ctx.tensor(x),
          gates: gates && {
            weights: this.weight(i, 'scale_gate.weight'),
            bias: this.weight(i, 'scale_gate.bias'),
            out: ctx.tensor(gates),
            logits: scaleLogits && ctx.tensor(scaleLogits),
            activation,
            tau,
          },
          depthwise: { weights: this.weight(i, 'dw.weight'), bias: this.weight(i, 'dw.bias'), norm: this.weight(i, 'dw.norm') },
          mix: this.weight(i, 'mix'),
          groups,
          eps,
          scratch: { d: ctx.tensor(scale.d), affine: ctx.tensor(scale.affine), partials: ctx.tensor(scale.partials) },
          out: ctx.tensor(y),
        }),
    });
    if (gates) {
      for (const s of [0, 1] as const) {
        const used = s === 0 ? levels.sizes.map((_, l) => l).slice(0, -1) : levels.sizes.map((_, l) => l).slice(1);
        this.tapLevels((t, l) => `${name(t)}.scale${s}.gate.${l}`, gates, 1, s * levels.totalRows, undefined, used);
        if (scaleLogits) this.tapLevels((t, l) => `${name(t)}.scale${s}.gate_logit.${l}`, scaleLogits, 1, s * levels.totalRows, undefined, used);
      }
    }

    const depth = this.values(`router${i}.depth`, depthPartScratch(levels, c, groups));
    const layout = new ActiveListsLayout(levels);
    const gate = dynamic ? this.graph.value(`router${i}.depth.gate`, [1, towers, levels.rows]) : undefined;
    const gateLogits = dynamic && this.taps ? this.graph.value(`router${i}.depth.logits`, [1, towers, levels.rows]) : undefined;
    const lists = dynamic ? this.graph.value(`router${i}.lists`, [layout.words]) : undefined;
    const out = this.graph.value(`router${i}.out`, [towers, levels.rows, c]);
    const extra = [gate, gateLogits, lists].filter((v): v is Value => v !== undefined);
    this.graph.add({
      name: `router ${i} depth part`,
      stage: 'head',
      inputs: gates ? [y, gates] : [y],
      outputs: [out, ...Object.values<Value>(depth), ...extra],
      inPlace: [[0, 0]],
      build: (ctx) =>
        depthPartPrograms(ctx.scope, {
          levels,
          y: ctx.tensor(out),
          dynamic: dynamic
            ? {
                gateWeights: this.weight(i, 'depth_gate.weight'),
                gateBias: this.weight(i, 'depth_gate.bias'),
                gate: ctx.tensor(gate!),
                logits: gateLogits && ctx.tensor(gateLogits),
                activation,
                tau,
                scaleGates: ctx.tensor(gates!),
                lists: ctx.tensor(lists!),
                layout,
                crossover: this.plan.crossover,
              }
            : undefined,
          conv1: { weights: this.weight(i, 'conv1.weight'), norm: this.weight(i, 'conv1.norm') },
          conv2: { weights: this.weight(i, 'conv2.weight'), norm: this.weight(i, 'conv2.norm') },
          groups,
          eps,
          scratch: tensorsOf(ctx, depth),
        }),
    });
    if (gate) {
      this.tapLevels((t, l) => `${name(t)}.depth.gate.${l}`, gate, 1);
      if (gateLogits) this.tapLevels((t, l) => `${name(t)}.depth.gate_logit.${l}`, gateLogits, 1);
      this.tapLevels((t, l) => `${name(t)}.depth.mask_dilated.${l}`, lists!, 1, layout.map.dilated, 'mask');
      this.tapLevels((t, l) => `${name(t)}.depth.mask.${l}`, lists!, 1, layout.map.gate, 'mask');
    }
    this.tapLevels((t, l) => `${name(t)}.out.${l}`, out, c);
    if (!lists) return { output: out };
    this.graph.markOutput(lists); // the per-segment counts are read after the run
    return { output: out, counts: { router: i, layout, range: { value: lists, byteOffset: layout.active.dilated * 4, byteLength: 4 * levels.segments * 4 } } };
  }
}
