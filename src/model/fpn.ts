import type { Value } from '../graph/graph';
import type { FpnConfig } from '../weights/config';
import type { LayerBuilder } from './layers';

/**
 * FPN P3–P7 as the official RetinaNet/FCOS config builds it: lateral 1×1 convs on C3..C5,
 * top-down nearest ×2 upsampling added to the laterals, 3×3 output convs, then P6 = 3×3/2 conv of
 * C5 (or of P5 when the checkpoint says so) and P7 = 3×3/2 conv of ReLU(P6).
 */
export function buildFpn(layers: LayerBuilder, [c3, c4, c5]: Value[], config: FpnConfig): Value[] {
  layers.stage = 'fpn';
  const lat5 = layers.conv('backbone.fpn_lateral5', c5!, { name: 'fpn.lateral5' });
  const lat4 = layers.conv('backbone.fpn_lateral4', c4!, { name: 'fpn.lateral4' });
  const top4 = layers.upsampleAdd(lat4, lat5, 'fpn.topdown4');
  const lat3 = layers.conv('backbone.fpn_lateral3', c3!, { name: 'fpn.lateral3' });
  const top3 = layers.upsampleAdd(lat3, top4, 'fpn.topdown3');
  const p3 = layers.conv('backbone.fpn_output3', top3, { name: 'fpn.p3' });
  const p4 = layers.conv('backbone.fpn_output4', top4, { name: 'fpn.p4' });
  const p5 = layers.conv('backbone.fpn_output5', lat5, { name: 'fpn.p5' });
  const p6 = layers.conv('backbone.top_block.p6', config.topBlockInput === 'p5' ? p5 : c5!, { stride: 2, name: 'fpn.p6' });
  const p7 = layers.conv('backbone.top_block.p7', layers.relu(p6, 'fpn.p6.relu'), { stride: 2, name: 'fpn.p7' });
  return [p3, p4, p5, p6, p7];
}
