import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireFinite, requireRank, requireSameShape, requireShape } from './validate';

/**
 * Bindings for `shaders/elementwise.wgsl`. `out` may be the same buffer as `a` (in place): the
 * binding then picks the `*_inplace` entry point, which never binds `a` separately.
 */

type Entry = 'add' | 'scale' | 'mul_gate' | 'relu';

function elementwise(
  scope: BufferScope,
  entry: Entry,
  a: Tensor,
  b: GPUBuffer | undefined,
  out: Tensor,
  options: { channels?: number; scalar?: number; relu?: boolean; scalarFromBuffer?: boolean } = {},
): KernelProgram {
  const n = numel(a.shape);
  if (b !== undefined && b === out.buffer) {
    throw new InvalidArgumentError('out', `${entry} cannot write into its second operand`);
  }
  const inPlace = a.buffer === out.buffer;
  const params = scope.uniform(
    new UniformWriter().u32(n, options.channels ?? 1).f32(options.scalar ?? 0).u32(0).bytes(),
    `${entry} params`,
  );
  const constants: Record<string, number> = {};
  if (options.relu) constants.RELU = 1;
  if (options.scalarFromBuffer) constants.SCALAR_FROM_BUFFER = 1;
  return {
    label: entry,
    shader: 'elementwise',
    entryPoint: inPlace ? `${entry}_inplace` : entry,
    constants,
    bindings: [params, inPlace ? undefined : a.buffer, b, out.buffer],
    dispatch: workgroups1D(Math.ceil(n / 256)),
  };
}

/** out = a + b (then ReLU if asked). */
export function addProgram(scope: BufferScope, a: Tensor, b: Tensor, out: Tensor, relu = false): KernelProgram {
  requireRank('a', a, a.shape.length);
  requireSameShape('b', b, a);
  requireSameShape('out', out, a);
  // Addition commutes: writing into b is writing into a with the operands swapped.
  const [first, second] = out.buffer === b.buffer ? [b, a] : [a, b];
  return elementwise(scope, 'add', first, second.buffer, out, { relu });
}

/**
 * out = a · s, with s a host number or the first element of a 1-element tensor (a learned
 * scalar such as the router's `scale_weight`, left on the GPU).
 */
export function scaleProgram(
  scope: BufferScope,
  a: Tensor,
  s: number | Tensor,
  out: Tensor,
  /** With a tensor scalar: a constant factor applied too (out = a · s[0] · factor). */
  factor = 1,
  relu = false,
): KernelProgram {
  requireRank('a', a, a.shape.length);
  requireSameShape('out', out, a);
  if (typeof s === 'number') {
    requireFinite('scalar', s);
    // The shader statically reads `b` in this entry point; bind a tiny stand-in.
    return elementwise(scope, 'scale', a, scope.storage(16, 'unused scalar'), out, { scalar: s });
  }
  requireShape('scalar', s, [1]);
  requireFinite('factor', factor);
  return elementwise(scope, 'scale', a, s.buffer, out, { scalarFromBuffer: true, scalar: factor, relu });
}

/** out[n,y,x,c] = a[n,y,x,c] · gate[n,y,x] — a per-pixel gate map (NHW1) applied to NHWC. */
export function mulGateProgram(scope: BufferScope, a: Tensor, gate: Tensor, out: Tensor, relu = false): KernelProgram {
  requireRank('a', a, 4);
  const [n, h, w, c] = a.shape as [number, number, number, number];
  requireShape('gate', gate, [n, h, w, 1]);
  requireSameShape('out', out, a);
  return elementwise(scope, 'mul_gate', a, gate.buffer, out, { channels: c, relu });
}

/** out = max(a, 0). */
export function reluProgram(scope: BufferScope, a: Tensor, out: Tensor): KernelProgram {
  requireRank('a', a, a.shape.length);
  requireSameShape('out', out, a);
  return elementwise(scope, 'relu', a, undefined, out);
}

/** In place: acc = acc · sa + b · sb, with sa and sb 1-element tensors (learned scalars). */
export function axpbyInPlaceProgram(scope: BufferScope, acc: Tensor, sa: Tensor, b: Tensor, sb: Tensor): KernelProgram {
  requireRank('acc', acc, acc.shape.length);
  requireSameShape('b', b, acc);
  requireShape('sa', sa, [1]);
  requireShape('sb', sb, [1]);
  if (b.buffer === acc.buffer) throw new InvalidArgumentError('b', 'must not be the accumulator itself');
  const n = numel(acc.shape);
  const params = scope.uniform(new UniformWriter().u32(n, 1).f32(0).u32(0).bytes(), 'axpby params');
  return {
    label: 'axpby',
    shader: 'elementwise',
    entryPoint: 'axpby_inplace',
    bindings: [params, undefined, b.buffer, acc.buffer, sa.buffer, sb.buffer],
    dispatch: workgroups1D(Math.ceil(n / 256)),
  };
}

/**
 * In place on `o`: o = ReLU(o · gate + residual) — the end of the dynamic head's depth path
 * (gate [N,H,W,1] per pixel, residual shaped like o).
 */
export function gateResidualReluInPlaceProgram(scope: BufferScope, o: Tensor, gate: Tensor, residual: Tensor): KernelProgram {
  requireRank('o', o, 4);
  const [n, h, w, ch] = o.shape as [number, number, number, number];
  requireShape('gate', gate, [n, h, w, 1]);
  requireSameShape('residual', residual, o);
  if (residual.buffer === o.buffer) throw new InvalidArgumentError('residual', 'must not be o itself');
  const total = numel(o.shape);
  const params = scope.uniform(new UniformWriter().u32(total, ch).f32(0).u32(0).bytes(), 'gate residual params');
  return {
    label: 'gate_residual_relu',
    shader: 'elementwise',
    entryPoint: 'gate_residual_relu_inplace',
    bindings: [params, undefined, residual.buffer, o.buffer, gate.buffer],
    dispatch: workgroups1D(Math.ceil(total / 256)),
  };
}
