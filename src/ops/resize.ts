import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireRank, requireShape } from './validate';

/** Bindings for `shaders/resize.wgsl`: the FPN's nearest-×2 upsample + add. */

function params(scope: BufferScope, out: Tensor, inHeight: number, inWidth: number): GPUBuffer {
  const [, outHeight, outWidth, channels] = out.shape as [number, number, number, number];
  return scope.uniform(
    new UniformWriter()
      .u32(numel(out.shape), channels, outHeight, outWidth, inHeight, inWidth)
      .bytes(),
    'resize params',
  );
}

/**
 * FPN top-down merge: out[n,y,x,c] = lateral[n,y,x,c] + top[n, ⌊y/2⌋, ⌊x/2⌋, c], with lateral and
 * out [N, H, W, C] and top [N, ⌈H/2⌉, ⌈W/2⌉, C]. `out` may be `lateral` (in place), not `top`.
 */
export function nearestUp2AddProgram(scope: BufferScope, lateral: Tensor, top: Tensor, out: Tensor): KernelProgram {
  requireRank('lateral', lateral, 4);
  const [n, h, w, c] = lateral.shape as [number, number, number, number];
  const topHeight = Math.ceil(h / 2);
  const topWidth = Math.ceil(w / 2);
  requireShape('top', top, [n, topHeight, topWidth, c]);
  requireShape('out', out, lateral.shape);
  if (out.buffer === top.buffer) throw new InvalidArgumentError('out', 'cannot be the top (coarser) map');
  const inPlace = out.buffer === lateral.buffer;
  return {
    label: 'nearest_up2_add',
    shader: 'resize',
    entryPoint: inPlace ? 'nearest_up2_add_inplace' : 'nearest_up2_add',
    bindings: [params(scope, out, topHeight, topWidth), top.buffer, inPlace ? undefined : lateral.buffer, out.buffer],
    dispatch: workgroups1D(Math.ceil(numel(out.shape) / 256)),
  };
}
