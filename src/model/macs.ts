import type { ModelConfig } from '../weights/config';
import { fcosConvsPerTower } from '../weights/engine-tensors';
import { LEVEL_NAMES } from './dynamic-head';

/**
 * Head multiply-accumulates, counted as the reference does (tools/reference/macs.py): convolutions
 * only (GroupNorm, resizes and element-wise ops are not counted).
 * - denseFixed: the static head — scale-path depthwise convs at every consumed source level,
 *   both bottleneck convs at every pixel, predictors.
 * - denseDynamic: denseFixed + every spatial gate conv (what a dense dynamic engine runs).
 * - executed: what the engine runs — gate convs dense, the scale paths' depthwise convs dense at
 *   every consumed source pixel (official semantics: dense, then multiplied by the gate), conv1
 *   on the dilated mask, conv2 on the gate mask, predictors dense.
 * The FCOS baseline head (kind 'fcos') is dense: 2 towers × NUM_CONVS × 3×3 C→C convs at every
 * pixel plus the predictors; all three numbers are that.
 */
export interface MacReport {
  readonly denseFixed: number;
  readonly denseDynamic: number;
  readonly executed: number;
}

/** Active-pixel counts keyed like the probes: `<tower>.<i>.scale<s>.<level>`, `.depth.<level>`, `.depth.dilated.<level>`. */
export type GateCounts = ReadonlyMap<string, number>;

export function headMacs(config: ModelConfig, levelSizes: readonly (readonly [number, number])[], counts?: GateCounts): MacReport {
  const c = config.head.channels;
  const k = config.head.numClasses;
  const dynamic = config.head.kind === 'dynamic';
  const pixels = levelSizes.map(([h, w]) => h * w);
  const last = pixels.length - 1;
  let fixed = 0;
  let gates = 0;
  let executed = 0;
  const count = (key: string, fallback: number) => counts?.get(key) ?? fallback;
  const predictors = pixels.reduce((sum, n) => sum + n * 9 * c * (k + 4 + 1), 0);
  if (config.head.kind === 'fcos') {
    const towers = 2 * fcosConvsPerTower(config) * pixels.reduce((sum, n) => sum + n * 9 * c * c, 0);
    return { denseFixed: towers + predictors, denseDynamic: towers + predictors, executed: towers + predictors };
  }
  for (const tower of ['cls_subnet', 'bbox_subnet']) {
    for (let i = 0; i < config.head.routersPerTower; i++) {
      const r = `${tower}.${i}`;
      pixels.forEach((n, l) => {
        const level = LEVEL_NAMES[l];
        for (const s of [0, 1]) {
          if ((s === 0 && l === last) || (s === 1 && l === 0)) continue; // never consumed
          fixed += n * 9 * c;
          if (dynamic) {
            gates += n * 9 * c;
            executed += n * 9 * c;
          }
        }
        fixed += 2 * n * 9 * c * c;
        if (dynamic) {
          gates += n * 9 * c;
          executed += (count(`${r}.depth.dilated.${level}`, n) + count(`${r}.depth.${level}`, n)) * 9 * c * c;
        }
      });
    }
  }
  fixed += predictors;
  return {
    denseFixed: fixed,
    denseDynamic: fixed + gates,
    executed: dynamic ? executed + gates + predictors : fixed,
  };
}
