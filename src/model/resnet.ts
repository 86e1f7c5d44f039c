import type { Value } from '../graph/graph';
import type { BackboneConfig } from '../weights/config';
import type { LayerBuilder } from './layers';

/**
 * ResNet bottom-up (Detectron2 / cvpods naming), FrozenBN already folded into each conv's weight
 * and bias: stem 7×7/2 + ReLU + max-pool 3×3/2, then res2..res5 bottlenecks with the stride in
 * the first 1×1 conv when `strideIn1x1` (MSRA), the 3×3 otherwise. Returns res3, res4, res5.
 */
export function buildResNet(layers: LayerBuilder, image: Value, config: BackboneConfig): Value[] {
  layers.stage = 'backbone';
  const bb = 'backbone.bottom_up';
  let x = layers.conv(`${bb}.stem.conv1`, image, { stride: 2, relu: true, name: 'stem' });
  x = layers.maxPool(x, 2, 'stem.pool');
  const outputs: Value[] = [];
  config.stageBlocks.forEach((blocks, s) => {
    for (let i = 0; i < blocks; i++) {
      const p = `${bb}.res${s + 2}.${i}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      const shortcut = layers.hasWeight(`${p}.shortcut.weight`)
        ? layers.conv(`${p}.shortcut`, x, { stride, name: `${p}.shortcut` })
        : x;
      const h1 = layers.conv(`${p}.conv1`, x, { stride: config.strideIn1x1 ? stride : 1, relu: true });
      const h2 = layers.conv(`${p}.conv2`, h1, { stride: config.strideIn1x1 ? 1 : stride, relu: true });
      x = layers.conv(`${p}.conv3`, h2, { relu: true, residual: shortcut, name: `${p}.out` });
    }
    if (s >= 1) outputs.push(x);
  });
  return outputs;
}
