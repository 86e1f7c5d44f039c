import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireRank, requireShape } from './validate';

/** Bindings for `shaders/resize.wgsl`: bilinear (align_corners=True) and FPN nearest-×2-add. */

function params(scope: BufferScope, out: Tensor, inHeight: number, inWidth: number, scaleY: number, scaleX: number): GPUBuffer {
  const [, outHeight, outWidth, channels] = out.shape as [number, number, number, number];
  return scope.uniform(
    new UniformWriter()
      .u32(numel(out.shape), channels, outHeight, outWidth, inHeight, inWidth)
      .f32(scaleY, scaleX)
      .bytes(),
    'resize params',
  );
}

/** PyTorch's align_corners=True source step, in f32 as PyTorch computes it. */
function alignCornersScale(inSize: number, outSize: number): number {
  return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
}

/**
 * out = bilinear resize of `src` [N, inH, inW, C] to out's [N, outH, outW, C] (any sizes, up or
 * down), align_corners=True. With `accumulate`, out += the resized map instead.
 */
export function bilinearResizeProgram(
  scope: BufferScope,
  src: Tensor,
  out: Tensor,
  options: { accumulate?: boolean } = {},
): KernelProgram {
  requireRank('src', src, 4);
  requireRank('out', out, 4);
  const [n, inHeight, inWidth, c] = src.shape as [number, number, number, number];
  const [, outHeight, outWidth] = out.shape as [number, number, number, number];
  requireShape('out', out, [n, outHeight, outWidth, c]);
  if (out.buffer === src.buffer) throw new InvalidArgumentError('out', 'cannot be the source buffer');
  const entry = options.accumulate ? 'bilinear_accumulate' : 'bilinear';
  return {
    label: entry,
    shader: 'resize',
    entryPoint: entry,
    bindings: [
      params(scope, out, inHeight, inWidth, alignCornersScale(inHeight, outHeight), alignCornersScale(inWidth, outWidth)),
      src.buffer,
      undefined,
      out.buffer,
    ],
    dispatch: workgroups1D(Math.ceil(numel(out.shape) / 256)),
  };
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
    bindings: [params(scope, out, topHeight, topWidth, 0, 0), top.buffer, inPlace ? undefined : lateral.buffer, out.buffer],
    dispatch: workgroups1D(Math.ceil(numel(out.shape) / 256)),
  };
}
