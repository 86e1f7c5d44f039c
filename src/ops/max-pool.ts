import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireInteger, requireRank, requireShape } from './validate';

/** Bindings for `shaders/max-pool.wgsl`: 3×3 max-pool, padding 1, stride 1 or 2 (any C). */

/** PyTorch's output size for a 3×3 window with padding 1 (ceil_mode=False). */
export function maxPool3x3OutputSize(size: number, stride: number): number {
  return Math.floor((size + 2 - 3) / stride) + 1;
}

/**
 * out = max-pool 3×3 / `stride`, pad 1 of `input` [N, H, W, C]; out is
 * [N, maxPool3x3OutputSize(H, stride), maxPool3x3OutputSize(W, stride), C].
 */
export function maxPool3x3Program(scope: BufferScope, input: Tensor, out: Tensor, stride: 1 | 2): KernelProgram {
  requireRank('input', input, 4);
  requireInteger('stride', stride);
  if (stride !== 1 && stride !== 2) throw new InvalidArgumentError('stride', `expected 1 or 2, got ${stride}`);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const oh = maxPool3x3OutputSize(h, stride);
  const ow = maxPool3x3OutputSize(w, stride);
  requireShape('out', out, [n, oh, ow, c]);
  if (out.buffer === input.buffer) throw new InvalidArgumentError('out', 'cannot be the input buffer');
  const params = scope.uniform(
    new UniformWriter().u32(numel(out.shape), c, oh, ow, h, w, stride, 0).bytes(),
    'max-pool params',
  );
  return {
    label: `max_pool3x3/${stride}`,
    shader: 'max-pool',
    entryPoint: 'main',
    bindings: [params, input.buffer, out.buffer],
    dispatch: workgroups1D(Math.ceil(numel(out.shape) / 256)),
  };
}
