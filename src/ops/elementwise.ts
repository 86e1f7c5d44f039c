import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireFinite, requireRank, requireSameShape, requireShape } from './validate';

/**
 * Bindings for `shaders/elementwise.wgsl`. `out` may be the same buffer as `a` (in place): the
 * binding then picks the `*_inplace` entry point, which never binds `a` separately.
 */

type Entry = 'add' | 'relu';

function elementwise(scope: BufferScope, entry: Entry, a: Tensor, b: GPUBuffer | undefined, out: Tensor, relu = false): KernelProgram {
  const n = numel(a.shape);
  if (b !== undefined && b === out.buffer) {
    throw new InvalidArgumentError('out', `${entry} cannot write into its second operand`);
  }
  const inPlace = a.buffer === out.buffer;
  return {
    label: entry,
    shader: 'elementwise',
    entryPoint: inPlace ? `${entry}_inplace` : entry,
    constants: relu ? { RELU: 1 } : {},
    bindings: [scope.uniform(new UniformWriter().u32(n).bytes(), `${entry} params`), inPlace ? undefined : a.buffer, b, out.buffer],
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
  return elementwise(scope, 'add', first, second.buffer, out, relu);
}

/** out = max(a, 0). */
export function reluProgram(scope: BufferScope, a: Tensor, out: Tensor): KernelProgram {
  requireRank('a', a, a.shape.length);
  requireSameShape('out', out, a);
  return elementwise(scope, 'relu', a, undefined, out);
}
