import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, type IndirectDispatch, type KernelProgram } from '../gpu/kernel';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

/**
 * Bindings for `shaders/dispatch-args.wgsl`: indirect dispatch arguments computed on the GPU from
 * an active-row count, and the sparse-or-dense choice of the dense fallback.
 */

/** Most entries one args program writes. */
export const MAX_DISPATCH_ENTRIES = 16;
const MAX_DIM = 65535;

/** When an entry gets its workgroups; otherwise it is written as (0, 0, 0). */
export type DispatchWhen = 'always' | 'sparse' | 'dense';

/** How one consumer's workgroup counts follow from the row count. */
export type DispatchSpec =
  /** A fixed size (e.g. a dense kernel that only runs when the fallback picks dense). */
  | { readonly kind: 'fixed'; readonly size: readonly [number, number, number]; readonly when?: DispatchWhen }
  /** (x, ceil(count / rowsPerWorkgroup), 1): conv2d's layout, x = ceil(Cout / 64). */
  | { readonly kind: 'rows-y'; readonly x: number; readonly rowsPerWorkgroup: number; readonly when?: DispatchWhen }
  /** ceil(count / rowsPerWorkgroup) workgroups over x, folded into y above 65535 (depthwise). */
  | { readonly kind: 'rows-1d'; readonly rowsPerWorkgroup: number; readonly when?: DispatchWhen };

export interface DispatchArgs {
  readonly program: KernelProgram;
  /** 3 × u32 per entry, in spec order; usable as INDIRECT. */
  readonly buffer: GPUBuffer;
  /** u32 [4]: (count, use_sparse 0/1, sparse_limit, 0) as seen on the GPU. */
  readonly selection: Tensor;
  /** The indirect dispatch of entry i. */
  dispatch(i: number): IndirectDispatch;
}

const KIND = { fixed: 0, 'rows-y': 1, 'rows-1d': 2 } as const;
const WHEN = { always: 0, sparse: 1, dense: 2 } as const;

/**
 * One program that reads `count` (u32 [1]) and writes the arguments of every spec. `sparseLimit`
 * is the largest count that counts as sparse (default: all, i.e. always sparse); entries marked
 * 'sparse' / 'dense' run only on that side of it.
 */
export function dispatchArgsProgram(
  scope: BufferScope,
  count: Tensor,
  specs: readonly DispatchSpec[],
  sparseLimit = 0xffffffff,
): DispatchArgs {
  requireShape('count', count, [1]);
  if (specs.length < 1 || specs.length > MAX_DISPATCH_ENTRIES) {
    throw new InvalidArgumentError('specs', `expected 1 to ${MAX_DISPATCH_ENTRIES} entries, got ${specs.length}`);
  }
  if (!Number.isInteger(sparseLimit) || sparseLimit < 0 || sparseLimit > 0xffffffff) {
    throw new InvalidArgumentError('sparseLimit', `expected a u32, got ${sparseLimit}`);
  }
  const writer = new UniformWriter().u32(specs.length, sparseLimit, 0, 0);
  specs.forEach((s, i) => {
    const when = WHEN[s.when ?? 'always'];
    if (when === undefined) throw new InvalidArgumentError(`specs[${i}].when`, `unknown value ${String(s.when)}`);
    const dim = (name: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min || v > MAX_DIM) {
        throw new InvalidArgumentError(`specs[${i}].${name}`, `expected an integer in [${min}, ${MAX_DIM}], got ${v}`);
      }
    };
    const head = KIND[s.kind] + 16 * when;
    if (s.kind === 'fixed') {
      s.size.forEach((v, j) => dim(`size[${j}]`, v, 0));
      writer.u32(head, s.size[0], s.size[1], s.size[2]);
    } else if (s.kind === 'rows-y') {
      dim('x', s.x, 1);
      dim('rowsPerWorkgroup', s.rowsPerWorkgroup, 1);
      writer.u32(head, s.x, s.rowsPerWorkgroup, 0);
    } else if (s.kind === 'rows-1d') {
      dim('rowsPerWorkgroup', s.rowsPerWorkgroup, 1);
      writer.u32(head, 0, s.rowsPerWorkgroup, 0);
    } else {
      throw new InvalidArgumentError(`specs[${i}].kind`, `unknown kind ${String((s as { kind: unknown }).kind)}`);
    }
  });
  for (let i = specs.length; i < MAX_DISPATCH_ENTRIES; i++) writer.u32(0, 0, 0, 0);
  const buffer = scope.indirect(specs.length, 'dispatch args');
  const selection: Tensor = { buffer: scope.storage(16, 'sparse selection'), shape: [4] };
  return {
    program: {
      label: 'dispatch args',
      shader: 'dispatch-args',
      bindings: [scope.uniform(writer.bytes(), 'dispatch args params'), count.buffer, buffer, selection.buffer],
      dispatch: [1, 1, 1],
    },
    buffer,
    selection,
    dispatch: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= specs.length) throw new InvalidArgumentError('i', `no entry ${i}`);
      return { indirect: buffer, offset: i * 12 };
    },
  };
}

/** The row count below which the sparse path runs: floor(fraction · pixels), clamped. */
export function sparseLimitFor(fraction: number, pixels: number): number {
  if (!Number.isFinite(fraction)) throw new InvalidArgumentError('fraction', `expected a finite number, got ${fraction}`);
  return Math.max(0, Math.min(pixels, Math.floor(fraction * pixels)));
}
