import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { bindSlots, UniformWriter, type KernelProgram } from '../gpu/kernel';
import { quadLanes } from './quad-lanes';
import type { ActiveListsLayout } from './active-lists';
import { levelTable, requirePacked, type PackedLevels } from './packed-levels';
import type { Tensor } from './tensor';
import { requireShape } from './validate';

const SLOTS = { params: 0, levels: 1, o: 2, lists: 3, affine: 4, gate: 5, y: 6 } as const;

export interface HeadEpilogueArgs {
  readonly levels: PackedLevels;
  /** conv2's output rows [≥ T·R, C]. */
  readonly conv: Tensor;
  /** [S, 3, C]: conv2's GroupNorm, folded (segment-stats). */
  readonly affine: Tensor;
  /** Dynamic head: the depth gate [1, T, R] and the compaction's lists (gate-list map). */
  readonly gated?: { readonly gate: Tensor; readonly lists: Tensor; readonly layout: ActiveListsLayout };
  /** The scale part's output [T, R, C], overwritten with the router's output. */
  readonly y: Tensor;
}

/** ReLU(GroupNorm(conv2) · gate + y) (or ReLU(GroupNorm(conv2) + y) fixed), in place (head-epilogue.wgsl). */
export function headEpilogueProgram(scope: BufferScope, args: HeadEpilogueArgs): KernelProgram {
  const { levels, gated } = args;
  const c = requirePacked('y', args.y, levels, levels.towers);
  if (c % 4 !== 0) throw new InvalidArgumentError('y', `the head's channel count must be a multiple of 4, got ${c}`);
  if (args.conv.shape.length !== 2 || args.conv.shape[0]! < levels.totalRows || args.conv.shape[1] !== c) {
    throw new InvalidArgumentError('conv', `expected [≥ ${levels.totalRows}, ${c}], got [${args.conv.shape.join(', ')}]`);
  }
  requireShape('affine', args.affine, [levels.segments, 3, c]);
  if (gated) {
    requireShape('gate', gated.gate, [1, levels.towers, levels.rows]);
    requireShape('lists', gated.lists, [gated.layout.words]);
  }
  if ([args.conv, args.affine, gated?.gate, gated?.lists].some((t) => t?.buffer === args.y.buffer)) {
    throw new InvalidArgumentError('y', 'must not share its buffer with another operand');
  }
  const params = scope.uniform(new UniformWriter().u32(c / 4, gated?.layout.map.gate ?? 0, 0, 0).bytes(), 'head epilogue params');
  const unused = (what: string) => scope.storage(16, `head epilogue: no ${what}`);
  const split = quadLanes(c / 4, levels.totalRows);
  return {
    label: `head epilogue ${gated ? 'ReLU(o·g + y)' : 'ReLU(o + y)'} C ${c}`,
    shader: 'head-epilogue',
    constants: { FIXED: gated ? 0 : 1, ...split.constants },
    bindings: bindSlots(SLOTS, {
      params,
      levels: levelTable(scope, levels),
      o: args.conv.buffer,
      lists: gated?.lists.buffer ?? unused('lists'),
      affine: args.affine.buffer,
      gate: gated?.gate.buffer ?? unused('gate'),
      y: args.y.buffer,
    }),
    dispatch: split.dispatch,
  };
}
