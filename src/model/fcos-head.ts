import type { Value } from '../graph/graph';
import type { ModelConfig } from '../weights/config';
import { LEVEL_NAMES } from './dynamic-head';
import type { LayerBuilder } from './layers';

export interface HeadOutputs {
  /** Class logits per level, NHWC [1, H, W, K]. */
  readonly clsLogits: Value[];
  /** (l, t, r, b) distances in input pixels per level: ReLU(conv · scale_l) · stride_l. */
  readonly bboxReg: Value[];
  /** Centerness logits per level [1, H, W, 1], on the regression tower (CENTERNESS_ON_REG). */
  readonly centerness: Value[];
}

/** FCOS predictors, shared across levels (spec §4.3). */
export function buildPredictors(layers: LayerBuilder, clsTower: Value[], bboxTower: Value[], config: ModelConfig): HeadOutputs {
  layers.stage = 'predictor';
  const strides = config.fpn.strides;
  const clsLogits = clsTower.map((x, l) => layers.conv('head.cls_score', x, { name: `head.cls_logits.${LEVEL_NAMES[l]}` }));
  const bboxReg = bboxTower.map((x, l) => {
    const raw = layers.conv('head.bbox_pred', x, { name: `head.bbox_raw.${LEVEL_NAMES[l]}` });
    const factor = config.head.normRegTargets ? strides[l]! : 1;
    return layers.scaleRelu(raw, layers.weight(`head.scales.${l}.scale`), factor, `head.bbox_reg.${LEVEL_NAMES[l]}`);
  });
  const ctrSource = config.head.centernessOnReg ? bboxTower : clsTower;
  const centerness = ctrSource.map((x, l) => layers.conv('head.centerness', x, { name: `head.centerness.${LEVEL_NAMES[l]}` }));
  return { clsLogits, bboxReg, centerness };
}
