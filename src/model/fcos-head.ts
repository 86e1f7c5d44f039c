import type { BuildContext, Value } from '../graph/graph';
import { packedConvProgram, type PackedConvInput } from '../ops/packed-conv';
import type { PackedLevels } from '../ops/packed-levels';
import type { ModelConfig } from '../weights/config';
import type { HeadPlan } from './dynamic-head';
import type { LayerBuilder } from './layers';

/** The FCOS predictors' outputs over every level, packed (rows in level order, one tower). */
export interface HeadOutputs {
  readonly levels: PackedLevels;
  /** Class logits [1, R, K]. */
  readonly cls: Value;
  /**
   * [1, R, 5]: (l, t, r, b) distances in input pixels, ReLU(conv · scale_l) · stride_l, then the
   * centerness logit (on the regression tower, CENTERNESS_ON_REG).
   */
  readonly boxCtr: Value;
}

/**
 * What a predictor reads from its tower: the routers' packed [T, R, C] output (one tower of it), or
 * the FCOS baseline tower's last conv rows with its GroupNorm + ReLU applied on load.
 */
export interface TowerFeature {
  readonly values: readonly Value[];
  read(ctx: BuildContext): PackedConvInput;
}

/** Tower `tower` of a packed [T, R, C] towers output. */
export function packedTower(towers: Value, tower: number): TowerFeature {
  return { values: [towers], read: (ctx) => ({ kind: 'plain', tensor: ctx.tensor(towers), tower }) };
}

/**
 * FCOS predictors, shared across levels (spec §4.3), each one dispatch over all levels: class
 * logits on the cls tower, and box ‖ centerness on the bbox tower with the Scale·ReLU·stride
 * epilogue fused.
 */
export function buildPredictors(layers: LayerBuilder, towers: { readonly cls: TowerFeature; readonly bbox: TowerFeature }, plan: HeadPlan, config: ModelConfig): HeadOutputs {
  layers.stage = 'predictor';
  const levels = plan.levels.withTowers(1);
  const cls = layers.graph.value('head.cls_logits', [1, levels.rows, config.head.numClasses]);
  const boxCtr = layers.graph.value('head.box_ctr', [1, levels.rows, 5]);
  const strides = config.head.normRegTargets ? config.fpn.strides : config.fpn.strides.map(() => 1);
  layers.graph.add({
    name: 'head.cls_score',
    stage: 'predictor',
    inputs: [...towers.cls.values],
    outputs: [cls],
    build: (ctx) => [
      packedConvProgram(ctx.scope, {
        levels,
        input: towers.cls.read(ctx),
        weights: layers.weight('head.cls_score.weight'),
        bias: layers.weight('head.cls_score.bias'),
        rows: { mode: 'all' },
        placement: 'pixel',
        out: ctx.tensor(cls),
      }),
    ],
  });
  layers.graph.add({
    name: 'head.bbox_pred + head.centerness',
    stage: 'predictor',
    inputs: [...towers.bbox.values],
    outputs: [boxCtr],
    build: (ctx) => [
      packedConvProgram(ctx.scope, {
        levels,
        input: towers.bbox.read(ctx),
        weights: layers.weight('head.box_ctr.weight'),
        bias: layers.weight('head.box_ctr.bias'),
        rows: { mode: 'all' },
        placement: 'pixel',
        box: { scales: layers.weight('head.scales'), strides },
        out: ctx.tensor(boxCtr),
      }),
    ],
  });
  return { levels, cls, boxCtr };
}
