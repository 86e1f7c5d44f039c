import { InvalidArgumentError } from '../errors';
import type { BufferScope } from '../gpu/buffers';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
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
/** Threads of the one-dispatch compaction (each walks a contiguous chunk of the mask). */
export const COMPACT_SINGLE_THREADS = 32;
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
  /** Threads of the one-dispatch compaction, 1 to 256 (default COMPACT_SINGLE_THREADS). */
  readonly singleThreads?: number;
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
): { programs: KernelProgram[]; active: ActiveSet } {
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

  const singleThreads = options.singleThreads ?? COMPACT_SINGLE_THREADS;
  if (!Number.isInteger(singleThreads) || singleThreads < 1 || singleThreads > 256) {
    throw new InvalidArgumentError('singleThreads', `expected an integer in [1, 256], got ${singleThreads}`);
  }
  const unusedMap = map ? map.buffer : scope.storage(16, 'compact: no map');
  if (!options.multiBlock && pixels <= COMPACT_SINGLE_BLOCKS * COMPACT_BLOCK) {
    const single: KernelProgram = {
      label: 'compact single',
      shader: 'compact',
      entryPoint: 'single',
      constants: { MAP: map ? 1 : 0, SINGLE_THREADS: singleThreads },
      bindings: [
        scope.uniform(new UniformWriter().u32(pixels, 0, 0, 0).bytes(), 'compact single params'),
        mask.buffer,
        undefined,
        count.buffer,
        rows.buffer,
        unusedMap,
      ],
      dispatch: [1, 1, 1],
    };
    return { programs: [single], active: { mask, rows, count, indexMap: map } };
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
  return { programs, active: { mask, rows, count, indexMap: map } };
}
