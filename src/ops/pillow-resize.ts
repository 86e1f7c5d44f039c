import { UnsupportedImageError } from '../errors';
import { UniformWriter, workgroups1D, type KernelProgram } from '../gpu/kernel';
import type { InputConfig } from '../weights/config';
import { bilinearAxis, sourceSpan, type ResampleAxis } from './pillow-coefficients';
import type { PreprocessPlan } from './preprocess';

/**
 * Bindings for `shaders/pillow-resize.wgsl` and the plan that splits an image into pieces the
 * GPU's limits allow. Pillow's horizontal pass is independent per row and per output column, and
 * each output row of the vertical pass reads a contiguous run of intermediate rows, so any image
 * can be resampled exactly in pieces: *chunks* of output rows (whose intermediate rows must fit
 * one buffer) and, inside a chunk, *tiles* of the source (rows × columns that must fit one
 * upload buffer or texture). An ordinary photo is one chunk of one tile.
 */

/** Where the pixels come from: uploaded RGBA words, or an rgba8unorm texture. */
export type ResizeSourceKind = 'buffer' | 'texture';

export interface ResizeLimits {
  /** Most bytes (4 per pixel) one source tile may hold. */
  readonly tileBytes: number;
  /** Most pixels along either side of a tile (a texture's maxTextureDimension2D; Infinity for buffers). */
  readonly tileSide: number;
  /** Most bytes of the intermediate image (4 per pixel) one chunk may hold. */
  readonly rowsBytes: number;
}

/** A piece of the source: image rows [rowBegin, rowEnd) × columns [colBegin, colEnd). */
export interface SourceTile {
  readonly rowBegin: number;
  readonly rowEnd: number;
  readonly colBegin: number;
  readonly colEnd: number;
  /** Output columns [outColBegin, outColEnd) of the horizontal pass this tile feeds. */
  readonly outColBegin: number;
  readonly outColEnd: number;
}

export interface ResizeChunk {
  /** Rows [outRowBegin, outRowEnd) of the padded network input this chunk writes. */
  readonly outRowBegin: number;
  readonly outRowEnd: number;
  /** Image rows [rowsBegin, rowsEnd) the intermediate holds for it. */
  readonly rowsBegin: number;
  readonly rowsEnd: number;
  readonly tiles: readonly SourceTile[];
}

export interface ResizePlan {
  /** Same size in and out: one tile copied and normalised, no resample. */
  readonly identity: boolean;
  readonly horizontal: ResampleAxis;
  readonly vertical: ResampleAxis;
  readonly chunks: readonly ResizeChunk[];
  /** Largest tile (rows, columns) and intermediate rows over all chunks: what to allocate. */
  readonly maxTileRows: number;
  readonly maxTileCols: number;
  readonly maxRows: number;
}

function tilesFor(horizontal: ResampleAxis, rowsBegin: number, rowsEnd: number, limits: ResizeLimits, description: string): SourceTile[] {
  const maxCols = Math.min(limits.tileSide, Math.floor(limits.tileBytes / 4));
  const tiles: SourceTile[] = [];
  let x0 = 0;
  while (x0 < horizontal.outSize) {
    let x1 = x0 + 1;
    const width = (end: number) => {
      const [a, b] = sourceSpan(horizontal, x0, end);
      return b - a;
    };
    if (width(x1) > maxCols) {
      throw new UnsupportedImageError(`${description}: one output column reads ${width(x1)} source pixels, more than a tile of ${maxCols} holds`);
    }
    while (x1 < horizontal.outSize && width(x1 + 1) <= maxCols) x1++;
    const [c0, c1] = sourceSpan(horizontal, x0, x1);
    const bandRows = Math.max(1, Math.min(limits.tileSide, Math.floor(limits.tileBytes / (4 * (c1 - c0)))));
    for (let r = rowsBegin; r < rowsEnd; r += bandRows) {
      tiles.push({ rowBegin: r, rowEnd: Math.min(rowsEnd, r + bandRows), colBegin: c0, colEnd: c1, outColBegin: x0, outColEnd: x1 });
    }
    x0 = x1;
  }
  return tiles;
}

/**
 * Splits the resample of `source` [h, w] to `sizes.resizedSize` (then padded to
 * `sizes.paddedSize`) into chunks and tiles within `limits`. Throws an UnsupportedImageError
 * only when a single output pixel needs more than the limits (an absurd shrink factor).
 */
export function planResize(sizes: PreprocessPlan, limits: ResizeLimits): ResizePlan {
  const [h, w] = sizes.originalSize;
  const [rh, rw] = sizes.resizedSize;
  const [ph] = sizes.paddedSize;
  const horizontal = bilinearAxis(w, rw);
  const vertical = bilinearAxis(h, rh);
  const description = `a ${w}×${h} image resized to ${rw}×${rh}`;
  if (h === rh && w === rw && h <= limits.tileSide && w <= limits.tileSide && h * w * 4 <= limits.tileBytes) {
    const tile = { rowBegin: 0, rowEnd: h, colBegin: 0, colEnd: w, outColBegin: 0, outColEnd: w };
    return { identity: true, horizontal, vertical, chunks: [{ outRowBegin: 0, outRowEnd: ph, rowsBegin: 0, rowsEnd: h, tiles: [tile] }], maxTileRows: h, maxTileCols: w, maxRows: 0 };
  }
  const maxRows = Math.floor(limits.rowsBytes / (4 * rw));
  const rowsOf = (a: number, b: number) => {
    const [s0, s1] = sourceSpan(vertical, a, b);
    return s1 - s0;
  };
  const chunks: ResizeChunk[] = [];
  let y0 = 0;
  while (y0 < rh) {
    let y1 = y0 + 1;
    if (rowsOf(y0, y1) > maxRows) {
      throw new UnsupportedImageError(`${description}: one output row reads ${rowsOf(y0, y1)} source rows, more than the ${maxRows} the GPU holds at once`);
    }
    while (y1 < rh && rowsOf(y0, y1 + 1) <= maxRows) y1++;
    const [s0, s1] = sourceSpan(vertical, y0, y1);
    chunks.push({ outRowBegin: y0, outRowEnd: y1 === rh ? ph : y1, rowsBegin: s0, rowsEnd: s1, tiles: tilesFor(horizontal, s0, s1, limits, description) });
    y0 = y1;
  }
  const tiles = chunks.flatMap((c) => c.tiles);
  return {
    identity: false,
    horizontal,
    vertical,
    chunks,
    maxTileRows: Math.max(...tiles.map((t) => t.rowEnd - t.rowBegin)),
    maxTileCols: Math.max(...tiles.map((t) => t.colEnd - t.colBegin)),
    maxRows: Math.max(...chunks.map((c) => c.rowsEnd - c.rowsBegin)),
  };
}

/** Which RGBA byte feeds each output channel. */
export function channelBytes(format: InputConfig['format']): [number, number, number] {
  return format === 'BGR' ? [2, 1, 0] : [0, 1, 2];
}

/** Every field of the shader's `Params`, in struct order. */
export interface ResizeParams {
  tileColBegin: number;
  tileColCount: number;
  tileRowBegin: number;
  tileRowCount: number;
  sourceRow0: number;
  sourceCol0: number;
  sourceStride: number;
  rowsRow0: number;
  rowsWidth: number;
  tapsStride: number;
  outRowBegin: number;
  outRowCount: number;
  paddedWidth: number;
  resizedHeight: number;
  resizedWidth: number;
}

export function resizeParamsBytes(p: ResizeParams, input: InputConfig): ArrayBuffer {
  return new UniformWriter()
    .u32(p.tileColBegin, p.tileColCount, p.tileRowBegin, p.tileRowCount)
    .u32(p.sourceRow0, p.sourceCol0, p.sourceStride, p.rowsRow0)
    .u32(p.rowsWidth, p.tapsStride, p.outRowBegin, p.outRowCount)
    .u32(p.paddedWidth, p.resizedHeight, p.resizedWidth, 0)
    .u32(...channelBytes(input.format), 0)
    .f32(...input.pixelMean, 0)
    .f32(...input.pixelStd, 0)
    .bytes();
}

/** The source binding of a horizontal pass or copy. */
export type ResizeSource = { readonly kind: 'buffer'; readonly buffer: GPUBuffer } | { readonly kind: 'texture'; readonly view: GPUTextureView };

function sourceBindings(source: ResizeSource) {
  return source.kind === 'buffer' ? { 2: source.buffer } : { 3: { texture: source.view } };
}

function program(label: string, entryPoint: string, slots: Record<number, KernelProgram['bindings'][number]>, threads: number): KernelProgram {
  const bindings: KernelProgram['bindings'][number][] = [];
  for (const [slot, binding] of Object.entries(slots)) bindings[Number(slot)] = binding;
  return { label, shader: 'pillow-resize', entryPoint, bindings, dispatch: workgroups1D(Math.ceil(threads / 256)) };
}

/** Horizontal pass over one tile (`params` describe it): `rows` ← resampled tile rows. */
export function resizeRowsProgram(params: GPUBuffer, taps: GPUBuffer, source: ResizeSource, rows: GPUBuffer, tile: SourceTile): KernelProgram {
  const threads = (tile.rowEnd - tile.rowBegin) * (tile.outColEnd - tile.outColBegin);
  const entry = source.kind === 'buffer' ? 'rows_from_buffer' : 'rows_from_texture';
  return program('preprocess rows', entry, { 0: params, 1: taps, 4: rows, ...sourceBindings(source) }, threads);
}

/** Vertical pass + channel order + normalisation + padding for one chunk's output rows. */
export function resizeColumnsProgram(params: GPUBuffer, taps: GPUBuffer, rows: GPUBuffer, out: GPUBuffer, outRows: number, paddedWidth: number): KernelProgram {
  return program('preprocess columns', 'columns_normalise', { 0: params, 1: taps, 4: rows, 5: out }, outRows * paddedWidth);
}

/** Same-size input: channel order + normalisation + padding straight from the source. */
export function copyNormaliseProgram(params: GPUBuffer, source: ResizeSource, out: GPUBuffer, outRows: number, paddedWidth: number): KernelProgram {
  const entry = source.kind === 'buffer' ? 'copy_from_buffer' : 'copy_from_texture';
  return program('preprocess copy', entry, { 0: params, 5: out, ...sourceBindings(source) }, outRows * paddedWidth);
}

/** Every entry point a run may use, for compiling ahead. */
export const RESIZE_ENTRY_POINTS = ['rows_from_buffer', 'rows_from_texture', 'columns_normalise', 'copy_from_buffer', 'copy_from_texture'] as const;
