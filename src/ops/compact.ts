import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type IndirectDispatch, type KernelProgram } from '../gpu/kernel';
import { dispatchArgsProgram, type DispatchSpec } from './dispatch-args';
import { numel, type Tensor } from './tensor';
import { requireRank } from './validate';

/**
 * Bindings for `shaders/compact.wgsl`: the list of active pixels of a mask, built on the GPU so
 * the sparse head never waits for a read-back. The result feeds conv2d / depthwise in indexed
 * mode (`rows`, `count`) and the sparse epilogue (`indexMap`).
 */

/** Elements one workgroup of the multi-dispatch block scan covers (256 threads × 4). */
export const COMPACT_BLOCK = 1024;
/**
 * Masks of at most this many blocks (32 768 pixels: every FPN level of an 800×1333 input) are
 * compacted by one workgroup in one dispatch; larger ones by the multi-dispatch block scan.
 */
export const COMPACT_SINGLE_BLOCKS = 32;
/** index_map value of an inactive pixel. */
export const INACTIVE_INDEX = 0xffffffff;

/** The active pixels of one mask, all on the GPU. */
export interface ActiveSet {
  /** The mask they came from, [N, H, W, 1] (active where > 0). */
  readonly mask: Tensor;
  /** u32 [N·H·W]: flat pixel indices n·H·W + y·W + x of the active pixels, ascending, then junk. */
  readonly rows: Tensor;
  /** u32 [1]: how many entries of `rows` are valid. */
  readonly count: Tensor;
  /** u32 [N·H·W]: position of each pixel in `rows`, INACTIVE_INDEX where inactive (if asked for). */
  readonly indexMap?: Tensor;
}

export interface CompactOptions {
  /** Also build the pixel → row map (needed by the sparse epilogue). Default true. */
  readonly indexMap?: boolean;
  /** Write into these instead of allocating (e.g. buffers from a memory plan). */
  readonly rows?: Tensor;
  readonly count?: Tensor;
  readonly map?: Tensor;
  /** Use the multi-dispatch block scan even for a small mask (tests, benchmarks). */
  readonly multiBlock?: boolean;
  /** Threads of the one-dispatch compaction, 1 to 256 (default: 16 on a software adapter, else 256). */
  readonly singleThreads?: number;
  /**
   * Also write the indirect arguments of one consumer that covers `rowsPerWorkgroup` rows per
   * workgroup: `sparse` ← ceil(count / rowsPerWorkgroup) workgroups; with a `sparseLimit`, that
   * only when count ≤ sparseLimit, and `dense` ← workgroups for every pixel otherwise (a dense
   * fallback kernel with the same rows per workgroup). The one-dispatch path writes them itself,
   * the block scan adds a dispatch-args program.
   */
  readonly dispatch?: { readonly rowsPerWorkgroup: number; readonly sparseLimit?: number };
}

/** Indirect dispatches written by the compaction (CompactOptions.dispatch). */
export interface CompactionDispatch {
  readonly sparse: IndirectDispatch;
  /** Only with a sparse limit. */
  readonly dense?: IndirectDispatch;
}

export interface Compaction {
  /** In dispatch order. */
  readonly programs: KernelProgram[];
  readonly active: ActiveSet;
  /** The consumer's indirect dispatches, when `dispatch` was asked for. */
  readonly dispatch?: CompactionDispatch;
}

/** Sizes of the block-sum levels for `pixels` elements: level 0 has one entry per block, etc. */
export function compactLevels(pixels: number): number[] {
  const levels = [Math.ceil(pixels / COMPACT_BLOCK)];
  while (levels[levels.length - 1]! > COMPACT_BLOCK) levels.push(Math.ceil(levels[levels.length - 1]! / COMPACT_BLOCK));
  return levels;
}

/**
 * Programs that compact `mask` ([N, H, W, 1] or any shape; active where > 0) into an ActiveSet,
 * in dispatch order: 1 program up to COMPACT_SINGLE_BLOCKS · 1024 pixels, 3 up to 1 048 576,
 * 5 up to 2^30 (`multiBlock` forces the block scan at any size). Run them in one pass or in
 * consecutive passes of the same encoder, before any consumer of the set.
 */
export function compactPrograms(
  scope: BufferScope,
  mask: Tensor,
  options: CompactOptions = {},
): Compaction {
  requireRank('mask', mask, mask.shape.length);
  const pixels = numel(mask.shape);
  if (pixels >= INACTIVE_INDEX) throw new InvalidArgumentError('mask', `${pixels} pixels exceed the u32 index range`);
  const wantMap = options.indexMap ?? true;
  const own = (given: Tensor | undefined, name: string, shape: number[]): Tensor => {
    if (!given) return { buffer: scope.storage(numel(shape) * 4, `compact ${name}`), shape };
    if (given.shape.length !== shape.length || given.shape.some((d, i) => d !== shape[i]) || given.buffer.size < numel(shape) * 4) {
      throw new InvalidArgumentError(name, `expected u32 [${shape.join(', ')}], got [${given.shape.join(', ')}]`);
    }
    if (given.buffer === mask.buffer) throw new InvalidArgumentError(name, 'cannot be the mask buffer');
    return given;
  };
  const rows = own(options.rows, 'rows', [pixels]);
  const count = own(options.count, 'count', [1]);
  const map = wantMap ? own(options.map, 'map', [pixels]) : undefined;
  const distinct = new Set([rows.buffer, count.buffer, map?.buffer].filter((b) => b !== undefined));
  if (distinct.size !== (map ? 3 : 2)) throw new InvalidArgumentError('rows', 'rows, count and map need distinct buffers');

  const singleThreads = options.singleThreads;
  if (singleThreads !== undefined && (!Number.isInteger(singleThreads) || singleThreads < 1 || singleThreads > 256)) {
    throw new InvalidArgumentError('singleThreads', `expected an integer in [1, 256], got ${singleThreads}`);
  }
  const consumer = options.dispatch;
  if (consumer) {
    const { rowsPerWorkgroup: rpg, sparseLimit = 0 } = consumer;
    if (!Number.isInteger(rpg) || rpg < 1 || rpg > 65535) throw new InvalidArgumentError('dispatch.rowsPerWorkgroup', `expected an integer in [1, 65535], got ${rpg}`);
    if (!Number.isInteger(sparseLimit) || sparseLimit < 0 || sparseLimit > 0xffffffff) throw new InvalidArgumentError('dispatch.sparseLimit', `expected a u32, got ${sparseLimit}`);
  }
  // With a sparse limit the consumer has a dense fallback, whose arguments are written too.
  const withDense = consumer?.sparseLimit !== undefined;
  const unusedMap = map ? map.buffer : scope.storage(16, 'compact: no map');
  if (!options.multiBlock && pixels <= COMPACT_SINGLE_BLOCKS * COMPACT_BLOCK) {
    const args = consumer ? scope.indirect(withDense ? 2 : 1, 'compact dispatch args') : undefined;
    // The shader references the arguments binding statically, so it needs a buffer either way.
    const argsBinding = args ?? scope.storage(16, 'compact: no dispatch args');
    const single: KernelProgram = {
      label: 'compact single',
      shader: 'compact',
      entryPoint: 'single',
      constants: { MAP: map ? 1 : 0, ...(singleThreads !== undefined ? { SINGLE_THREADS: singleThreads } : {}) },
      bindings: [
        scope.uniform(
          new UniformWriter().u32(pixels, consumer?.rowsPerWorkgroup ?? 0, consumer?.sparseLimit ?? 0xffffffff, withDense ? 1 : 0).bytes(),
          'compact single params',
        ),
        mask.buffer,
        argsBinding,
        count.buffer,
        rows.buffer,
        unusedMap,
      ],
      dispatch: [1, 1, 1],
    };
    const dispatch = args ? { sparse: { indirect: args, offset: 0 }, dense: withDense ? { indirect: args, offset: 12 } : undefined } : undefined;
    return { programs: [single], active: { mask, rows, count, indexMap: map }, dispatch };
  }
  const levels = compactLevels(pixels);
  const offsets: number[] = [];
  let total = 0;
  for (const size of levels) {
    offsets.push(total);
    total += size;
  }
  const sums = scope.storage(total * 4, 'compact block sums');
  const program = (
    entryPoint: string,
    label: string,
    entries: number,
    src: number,
    dst: number,
    parent: number,
  ): KernelProgram => ({
    label: `compact ${label}`,
    shader: 'compact',
    entryPoint,
    constants: entryPoint === 'scatter' ? { MAP: map ? 1 : 0 } : {},
    bindings: [
      scope.uniform(new UniformWriter().u32(entries, src, dst, parent).bytes(), `compact ${label} params`),
      entryPoint === 'count_blocks' || entryPoint === 'scatter' ? mask.buffer : undefined,
      sums,
      entryPoint === 'scan_level' ? count.buffer : undefined,
      entryPoint === 'scatter' ? rows.buffer : undefined,
      entryPoint === 'scatter' ? unusedMap : undefined,
    ],
    dispatch: workgroups1D(Math.ceil(entries / COMPACT_BLOCK)),
  });

  const programs: KernelProgram[] = [program('count_blocks', 'count blocks', pixels, 0, 0, 0)];
  for (let l = 0; l + 1 < levels.length; l++) {
    programs.push(program('reduce_level', `reduce level ${l}`, levels[l]!, offsets[l]!, offsets[l + 1]!, 0));
  }
  for (let l = levels.length - 1; l >= 0; l--) {
    const parent = l === levels.length - 1 ? INACTIVE_INDEX : offsets[l + 1]!;
    programs.push(program('scan_level', `scan level ${l}`, levels[l]!, offsets[l]!, 0, parent));
  }
  programs.push(program('scatter', 'scatter', pixels, 0, 0, 0));
  let dispatch: CompactionDispatch | undefined;
  if (consumer) {
    const rowsPerWorkgroup = consumer.rowsPerWorkgroup;
    const specs: DispatchSpec[] = [{ kind: 'rows-1d', rowsPerWorkgroup, when: 'sparse' }];
    if (withDense) specs.push({ kind: 'fixed', size: workgroups1D(Math.ceil(pixels / rowsPerWorkgroup)), when: 'dense' });
    const args = dispatchArgsProgram(scope, count, specs, consumer.sparseLimit);
    programs.push(args.program);
    dispatch = { sparse: args.dispatch(0), dense: withDense ? args.dispatch(1) : undefined };
  }
  return { programs, active: { mask, rows, count, indexMap: map }, dispatch };
}
