import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireRank } from './validate';

const ITEMS = 8;
const CHUNK = 256 * ITEMS;

/**
 * Sum of all elements of `input` with `shaders/reduce.wgsl`: a chain of passes, each shrinking
 * the data by CHUNK, ending in a 1-element tensor.
 */
export function sumPrograms(scope: BufferScope, input: Tensor): { programs: KernelProgram[]; result: Tensor } {
  requireRank('input', input, input.shape.length);
  const programs: KernelProgram[] = [];
  let n = numel(input.shape);
  let source = input.buffer;
  do {
    const groups = Math.ceil(n / CHUNK);
    const partials = scope.storage(groups * 4, 'sum partials');
    const params = scope.uniform(new UniformWriter().u32(n, 0, 0, 0).bytes(), 'sum params');
    programs.push({
      label: 'sum',
      shader: 'reduce',
      entryPoint: 'sum',
      constants: { ITEMS },
      bindings: [params, source, partials],
      dispatch: workgroups1D(groups),
    });
    source = partials;
    n = groups;
  } while (n > 1);
  return { programs, result: { buffer: source, shape: [1] } };
}
