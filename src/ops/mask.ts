import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import type { Tensor } from './tensor';
import { requireRank, requireShape } from './validate';

/**
 * Bindings for `shaders/mask.wgsl`: the dynamic head's active-pixel masks from a gate map. The
 * depth path needs two: the gate's own mask (conv2) and its 3×3 dilation (conv1).
 */
export interface GateMaskArgs {
  /** [N, H, W, 1] gate values (GeReTanH output, ≥ 0). */
  readonly gate: Tensor;
  /** [N, H, W, 1] ← 1 where gate > 0, else 0. */
  readonly mask?: Tensor;
  /** [N, H, W, 1] ← 1 where the 3×3 max-pool (stride 1, pad 1) of the gate is > 0, else 0. */
  readonly dilated?: Tensor;
}

export function gateMaskProgram(scope: BufferScope, args: GateMaskArgs): KernelProgram {
  requireRank('gate', args.gate, 4);
  const [n, h, w, c] = args.gate.shape as [number, number, number, number];
  if (c !== 1) throw new InvalidArgumentError('gate', `expected one channel, got shape [${args.gate.shape.join(', ')}]`);
  if (!args.mask && !args.dilated) throw new InvalidArgumentError('mask', 'ask for mask, dilated or both');
  for (const [name, t] of [['mask', args.mask], ['dilated', args.dilated]] as const) {
    if (!t) continue;
    requireShape(name, t, [n, h, w, 1]);
    if (t.buffer === args.gate.buffer) throw new InvalidArgumentError(name, 'cannot be the gate buffer');
  }
  if (args.mask && args.dilated && args.mask.buffer === args.dilated.buffer) {
    throw new InvalidArgumentError('dilated', 'cannot share its buffer with mask');
  }
  const pixels = n * h * w;
  const entryPoint = args.mask && args.dilated ? 'both' : args.mask ? 'quantize' : 'dilate';
  return {
    label: `gate mask (${entryPoint})`,
    shader: 'mask',
    entryPoint,
    bindings: [
      scope.uniform(new UniformWriter().u32(pixels, h, w, 0).bytes(), 'mask params'),
      args.gate.buffer,
      args.mask?.buffer,
      args.dilated?.buffer,
    ],
    dispatch: workgroups1D(Math.ceil(pixels / 256)),
  };
}
