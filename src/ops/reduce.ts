import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import { numel, type Tensor } from './tensor';
import { requireRank } from './validate';

const ITEMS = 32;
const CHUNK = 64 * ITEMS;

/**
 * Sum of all elements of `input` with `shaders/reduce.wgsl`: a chain of passes, each shrinking
 * the data by CHUNK, ending in a 1-element tensor. `positive`: count the elements > 0 instead
 * (the first pass counts, later passes add up the counts; exact below 2^24).
 */
export function sumPrograms(scope: BufferScope, input: Tensor, options: { positive?: boolean } = {}): { programs: KernelProgram[]; result: Tensor } {
  requireRank('input', input, input.shape.length);
  const programs: KernelProgram[] = [];
  let n = numel(input.shape);
  let source = input.buffer;
  do {
    const groups = Math.ceil(n / CHUNK);
    const partials = scope.storage(groups * 4, 'sum partials');
    const params = scope.uniform(new UniformWriter().u32(n, 0, 0, 0).bytes(), 'sum params');
    const positive = options.positive === true && programs.length === 0;
    programs.push({
      label: positive ? 'count positive' : 'sum',
      shader: 'reduce',
      entryPoint: 'sum',
      constants: { ITEMS, POSITIVE: positive ? 1 : 0 },
      bindings: [params, source, partials],
      dispatch: workgroups1D(groups),
    });
    source = partials;
    n = groups;
  } while (n > 1);
  return { programs, result: { buffer: source, shape: [1] } };
}
