import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, type KernelProgram } from '../gpu/kernel';
import type { Tensor } from './tensor';
import { requireRank, requireShape } from './validate';

export interface MatmulArgs {
  a: Tensor; // [M, K]
  b: Tensor; // [K, N]
  bias?: Tensor; // [N]
  out: Tensor; // [M, N]
  relu?: boolean;
}

/** C = A·B (+ bias, ReLU) with `shaders/matmul.wgsl`: the adapter's dense-GEMM ceiling. */
export function matmulProgram(scope: BufferScope, args: MatmulArgs): KernelProgram {
  requireRank('a', args.a, 2);
  const [m, k] = args.a.shape as [number, number];
  requireRank('b', args.b, 2);
  if (args.b.shape[0] !== k) {
    requireShape('b', args.b, [k, args.b.shape[1]!]);
  }
  const n = args.b.shape[1]!;
  if (args.bias) requireShape('bias', args.bias, [n]);
  requireShape('out', args.out, [m, n]);
  const params = scope.uniform(new UniformWriter().u32(m, n, k, 0).bytes(), 'matmul params');
  return {
    label: 'matmul',
    shader: 'matmul',
    constants: { RELU: args.relu ? 1 : 0, HAS_BIAS: args.bias ? 1 : 0 },
    bindings: [params, args.a.buffer, args.b.buffer, args.bias?.buffer ?? scope.storage(16, 'no bias'), args.out.buffer],
    dispatch: [Math.ceil(n / 64), Math.ceil(m / 64), 1],
  };
}
