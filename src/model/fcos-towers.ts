import type { Value } from '../graph/graph';
import { allPixels } from '../ops/depth-part';
import { headEpilogueProgram } from '../ops/head-epilogue';
import type { PackedLevels } from '../ops/packed-levels';
import { packedConvProgram } from '../ops/packed-conv';
import { segmentStatsPartials, segmentStatsPrograms } from '../ops/segment-stats';
import { fcosConvsPerTower } from '../weights/engine-tensors';
import type { ModelConfig } from '../weights/config';
import { LEVEL_NAMES, packFpnLevels, type HeadPlan } from './dynamic-head';
import { packedTower, type TowerFeature } from './fcos-head';
import { fcosConv, fcosNorm, TOWERS } from './head-weights';
import type { LayerBuilder } from './layers';
import type { Taps } from './taps';

/**
 * The FCOS baseline head's towers (cvpods FCOSHead, the zoo's "FCOS D2"): per tower NUM_CONVS = 2·D
 * × (conv 3×3 + bias → GroupNorm(G) → ReLU), every level in one dispatch over the packed layout.
 * Each conv is one packed-conv dispatch over all levels that reads the previous conv's rows with
 * their GroupNorm + ReLU applied on load (the fixed head's conv1 → conv2 chain), then the two
 * segment-statistics passes (a segment per level: GroupNorm is per feature map). The predictors
 * read the last conv the same way, so no normalised tower output is ever written.
 *
 * The towers run as separate dispatches: their convs have biases, and the packed conv adds one
 * bias vector for all towers of a dispatch. The box predictor's epilogue (per-level Scale) takes
 * the binding the normalise-on-load uses, so the bbox tower's last GroupNorm + ReLU is written
 * out once (the fixed head's epilogue on a zeroed output: ReLU(GN(o) + 0)) for it to read.
 */
export function buildFcosTowers(
  layers: LayerBuilder,
  fpn: readonly Value[],
  plan: HeadPlan,
  config: ModelConfig,
  taps?: Taps,
): { readonly cls: TowerFeature; readonly bbox: TowerFeature } {
  layers.stage = 'head';
  const graph = layers.graph;
  const c = plan.channels;
  const levels = plan.levels.withTowers(1);
  const packed = packFpnLevels(layers, fpn, levels, c);
  const convs = fcosConvsPerTower(config);
  const partials = [segmentStatsPartials({ maxRows: levels.totalRows, segments: levels.segments }, plan.groups), 4];
  const features = TOWERS.map((tower): TowerFeature => {
    let previous: { h: Value; affine: Value } | undefined;
    for (let k = 0; k < convs; k++) {
      const name = fcosConv(tower, k);
      const h = graph.value(`${name}.conv`, [levels.rows, c]);
      const affine = graph.value(`${name}.affine`, [levels.segments, 3, c]);
      const scratch = graph.value(`${name}.partials`, partials);
      const from = previous;
      graph.add({
        name: `${name} conv + GroupNorm statistics`,
        stage: 'head',
        inputs: from ? [from.h, from.affine] : [packed],
        outputs: [h, affine, scratch],
        build: (ctx) => [
          packedConvProgram(ctx.scope, {
            levels,
            input: from
              ? { kind: 'normalised', tensor: ctx.tensor(from.h), affine: ctx.tensor(from.affine), map: 'identity' }
              : { kind: 'plain', tensor: ctx.tensor(packed) },
            weights: layers.weight(`${name}.weight`),
            bias: layers.weight(`${name}.bias`),
            rows: { mode: 'all' },
            placement: 'pixel',
            out: { buffer: ctx.tensor(h).buffer, shape: [1, levels.rows, c] },
          }),
          ...segmentStatsPrograms(ctx.scope, {
            values: ctx.tensor(h),
            table: allPixels(ctx.scope, levels),
            groups: plan.groups,
            eps: plan.eps,
            norm: layers.weight(fcosNorm(tower, k)),
            segmentsPerSet: levels.levels,
            affine: ctx.tensor(affine),
            partials: ctx.tensor(scratch),
          }),
        ],
      });
      // The conv's output (with its bias, before the GroupNorm), named after its module.
      levels.sizes.forEach(([hh, ww], l) => {
        taps?.set(`${tower}.${3 * k}.out.${LEVEL_NAMES[l]}`, { value: h, offset: levels.offsets[l]! * c, rows: hh * ww, rowLength: c, shape: [1, hh, ww, c] });
      });
      previous = { h, affine };
    }
    const last = previous!;
    if (tower === 'cls_subnet') {
      return { values: [last.h, last.affine], read: (ctx) => ({ kind: 'normalised', tensor: ctx.tensor(last.h), affine: ctx.tensor(last.affine), map: 'identity' }) };
    }
    return packedTower(materialise(layers, levels, last.h, last.affine, `head.${tower}.out`), 0);
  });
  return { cls: features[0]!, bbox: features[1]! };
}

/**
 * ReLU(GroupNorm(h)) written to a packed [1, R, C] value: the first node of the predictor stage
 * (its copy zeroes the output before the stage's compute pass), then the head epilogue adds the
 * normalised rows to those zeros with the ReLU.
 */
function materialise(layers: LayerBuilder, levels: PackedLevels, h: Value, affine: Value, name: string): Value {
  const out = layers.graph.value(name, [1, levels.rows, h.shape[1]!]);
  const bytes = levels.rows * h.shape[1]! * 4;
  layers.graph.add({
    name: `${name} = ReLU(GroupNorm(conv))`,
    stage: 'predictor',
    inputs: [h, affine],
    outputs: [out],
    // A buffer of the compiled graph's scope that nothing writes: zero for every run.
    copies: (ctx) => [{ from: ctx.scope.storage(bytes, `${name} zeros`), fromOffset: 0, to: ctx.tensor(out).buffer, toOffset: 0, size: bytes }],
    build: (ctx) => [headEpilogueProgram(ctx.scope, { levels, conv: ctx.tensor(h), affine: ctx.tensor(affine), y: ctx.tensor(out) })],
  });
  return out;
}
