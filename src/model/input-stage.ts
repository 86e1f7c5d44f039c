import { InvalidArgumentError } from '../errors';
import { alignedSize, type BufferScope } from '../gpu/buffers';
import type { KernelProgram } from '../gpu/kernel';
import type { GpuRuntime } from '../gpu/runtime';
import { packAxis } from '../ops/pillow-coefficients';
import {
  copyNormaliseProgram,
  planResize,
  RESIZE_ENTRY_POINTS,
  resizeColumnsProgram,
  resizeParamsBytes,
  resizeRowsProgram,
  type ResizeLimits,
  type ResizeParams,
  type ResizePlan,
  type ResizeSource,
  type SourceTile,
} from '../ops/pillow-resize';
import type { PreprocessPlan } from '../ops/preprocess';
import type { Tensor } from '../ops/tensor';
import type { InputConfig } from '../weights/config';

/** An RGBA8 image as `ImageData` holds it (alpha is ignored, as the official pipeline reads RGB). */
export interface RgbaPixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * An image the GPU copies itself (`copyExternalImageToTexture`): in a browser an ImageBitmap made
 * with `premultiplyAlpha: 'none'` and `colorSpaceConversion: 'none'`, so the bytes arrive as
 * decoded. Alpha is ignored.
 */
export interface ExternalImage {
  readonly source: GPUCopyExternalImageSource;
  readonly width: number;
  readonly height: number;
}

export type EngineImage = RgbaPixels | ExternalImage;

export function isRgbaPixels(image: EngineImage): image is RgbaPixels {
  return 'data' in image;
}

/** How pixels of an image reach the GPU: RGBA bytes can also go through a texture (testing). */
export type UploadPath = 'buffer' | 'texture';

/** What one tile needs per byte of source: the upload buffers or textures stay under these. */
const TILE_BUDGET_BYTES = 64 * 1024 * 1024;
const ROWS_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * The per-run pre-processing stage the engine owns (spec §1, Pillow BILINEAR exact): it keeps
 * grow-only GPU resources (source upload buffer or texture, intermediate rows, coefficient
 * tables, two uniform buffers), uploads one image, and hands back the programs of its last piece
 * for the caller to encode ahead of the network, in the same command encoder. An image larger
 * than one upload (or than a texture may be) is resampled in pieces: every earlier piece is
 * uploaded and submitted here, in order, before the last.
 */
export class InputStage {
  private readonly scope: BufferScope;
  private readonly generation: number;
  private readonly buffers = new Map<string, GPUBuffer>();
  private texture: GPUTexture | undefined;
  private textureView: GPUTextureView | undefined;
  private prepared: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly runtime: GpuRuntime,
    private readonly limitsOverride: Partial<ResizeLimits> = {},
  ) {
    this.scope = runtime.scope('input stage');
    this.generation = runtime.generation;
  }

  /** GPU bytes held now (buffers and the source texture). */
  get gpuBytes(): number {
    const t = this.texture;
    return this.scope.byteLength + (t ? t.width * t.height * 4 : 0);
  }

  /** Compiles the stage's pipelines (once). */
  prepare(): Promise<void> {
    this.prepared ??= Promise.all(RESIZE_ENTRY_POINTS.map((entry) => this.runtime.pipelines.prepare('pillow-resize', entry))).then(() => undefined);
    return this.prepared;
  }

  /** The limits a source of this kind is cut to on this device. */
  limits(kind: UploadPath): ResizeLimits {
    const limits = this.runtime.device.limits;
    const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    return {
      tileBytes: Math.min(binding, TILE_BUDGET_BYTES),
      tileSide: kind === 'texture' ? limits.maxTextureDimension2D : Infinity,
      rowsBytes: Math.min(binding, ROWS_BUDGET_BYTES),
      ...this.limitsOverride,
    };
  }

  /**
   * Uploads `image` and resamples all but its last piece into `out` ([1, Hp, Wp, 3], the
   * network input); returns the programs that finish it, to be encoded before the network's
   * passes in the next submission. Nothing else may use this stage until that submission.
   */
  async stage(image: EngineImage, input: InputConfig, sizes: PreprocessPlan, out: Tensor, path: UploadPath = isRgbaPixels(image) ? 'buffer' : 'texture'): Promise<KernelProgram[]> {
    if (this.disposed) throw new InvalidArgumentError('input stage', 'is disposed');
    if (this.runtime.generation !== this.generation) throw new InvalidArgumentError('input stage', 'belongs to a lost device');
    if (!isRgbaPixels(image) && path !== 'texture') throw new InvalidArgumentError('path', 'an external image can only be copied to a texture');
    const [ph, pw] = sizes.paddedSize;
    if (out.shape.join('x') !== `1x${ph}x${pw}x3`) throw new InvalidArgumentError('out', `expected [1, ${ph}, ${pw}, 3], got [${out.shape.join(', ')}]`);
    await this.prepare();
    const plan = planResize(sizes, this.limits(path));
    const source = this.allocate(plan, path);
    const device = this.runtime.device;
    const rowParams = this.buffer('row params', 112, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const columnParams = this.buffer('column params', 112, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    let horizontalTaps: GPUBuffer | undefined;
    let verticalTaps: GPUBuffer | undefined;
    if (!plan.identity) {
      horizontalTaps = this.table('horizontal taps', packAxis(plan.horizontal));
      verticalTaps = this.table('vertical taps', packAxis(plan.vertical));
    }
    const rows = plan.identity ? undefined : this.buffers.get('rows')!;
    const base = (tile: SourceTile): ResizeParams => ({
      tileColBegin: tile.outColBegin,
      tileColCount: tile.outColEnd - tile.outColBegin,
      tileRowBegin: tile.rowBegin,
      tileRowCount: tile.rowEnd - tile.rowBegin,
      sourceRow0: tile.rowBegin,
      sourceCol0: tile.colBegin,
      sourceStride: tile.colEnd - tile.colBegin,
      rowsRow0: 0,
      rowsWidth: sizes.resizedSize[1],
      tapsStride: 0,
      outRowBegin: 0,
      outRowCount: 0,
      paddedWidth: pw,
      resizedHeight: sizes.resizedSize[0],
      resizedWidth: sizes.resizedSize[1],
    });
    const pieces = plan.chunks.flatMap((chunk) => chunk.tiles.map((tile, i) => ({ chunk, tile, last: i === chunk.tiles.length - 1 })));
    let programs: KernelProgram[] = [];
    for (const { chunk, tile, last } of pieces) {
      if (programs.length > 0) await this.submit(programs);
      this.upload(image, tile, source, path);
      const outRows = chunk.outRowEnd - chunk.outRowBegin;
      const finishing = { ...base(tile), rowsRow0: chunk.rowsBegin, outRowBegin: chunk.outRowBegin, outRowCount: outRows };
      if (plan.identity) {
        device.queue.writeBuffer(columnParams, 0, resizeParamsBytes(finishing, input));
        programs = [copyNormaliseProgram(columnParams, source, out.buffer, outRows, pw)];
        continue;
      }
      device.queue.writeBuffer(rowParams, 0, resizeParamsBytes({ ...base(tile), rowsRow0: chunk.rowsBegin, tapsStride: plan.horizontal.stride }, input));
      programs = [resizeRowsProgram(rowParams, horizontalTaps!, source, rows!, tile)];
      if (last) {
        device.queue.writeBuffer(columnParams, 0, resizeParamsBytes({ ...finishing, tapsStride: plan.vertical.stride }, input));
        programs.push(resizeColumnsProgram(columnParams, verticalTaps!, rows!, out.buffer, outRows, pw));
      }
    }
    return programs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scope.dispose();
    this.buffers.clear();
    this.texture?.destroy();
    this.texture = undefined;
  }

  /** Submits pieces before the last one, surfacing validation errors. */
  private async submit(programs: readonly KernelProgram[]): Promise<void> {
    const device = this.runtime.device;
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: 'preprocess piece' });
    const pass = encoder.beginComputePass({ label: 'preprocess' });
    for (const p of programs) this.runtime.encode(pass, p);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU validation failed while pre-processing: ${error.message}`);
  }

  /** Grows the source and intermediate resources to what `plan` needs; returns the source binding. */
  private allocate(plan: ResizePlan, path: UploadPath): ResizeSource {
    if (!plan.identity) this.buffer('rows', plan.maxRows * plan.horizontal.outSize * 4, 0);
    if (path === 'buffer') return { kind: 'buffer', buffer: this.buffer('source', plan.maxTileRows * plan.maxTileCols * 4, 0) };
    const t = this.texture;
    if (!t || t.width < plan.maxTileCols || t.height < plan.maxTileRows) {
      t?.destroy();
      const width = Math.max(t?.width ?? 0, plan.maxTileCols);
      const height = Math.max(t?.height ?? 0, plan.maxTileRows);
      this.texture = this.runtime.device.createTexture({
        label: 'input stage source',
        size: { width, height },
        format: 'rgba8unorm',
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT,
      });
      this.textureView = this.texture.createView();
    }
    return { kind: 'texture', view: this.textureView! };
  }

  /** A grow-only buffer: kept while large enough, else replaced by one of the new size. */
  private buffer(name: string, bytes: number, usage: number): GPUBuffer {
    const current = this.buffers.get(name);
    if (current && current.size >= bytes) return current;
    if (current) this.scope.release(current);
    const buffer =
      usage & GPUBufferUsage.UNIFORM
        ? this.scope.uniform(new ArrayBuffer(alignedSize(bytes)), `input stage ${name}`)
        : this.scope.storage(bytes, `input stage ${name}`, usage);
    this.buffers.set(name, buffer);
    return buffer;
  }

  private table(name: string, words: Uint32Array): GPUBuffer {
    const buffer = this.buffer(name, words.byteLength, 0);
    this.runtime.write(buffer, words);
    return buffer;
  }

  /** Puts one tile of the image at the origin of the source buffer or texture. */
  private upload(image: EngineImage, tile: SourceTile, source: ResizeSource, path: UploadPath): void {
    const device = this.runtime.device;
    const rowsCount = tile.rowEnd - tile.rowBegin;
    const cols = tile.colEnd - tile.colBegin;
    if (!isRgbaPixels(image)) {
      device.queue.copyExternalImageToTexture(
        { source: image.source, origin: { x: tile.colBegin, y: tile.rowBegin }, flipY: false },
        { texture: this.texture!, premultipliedAlpha: false, colorSpace: 'srgb' },
        { width: cols, height: rowsCount },
      );
      return;
    }
    const bytes = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    const rowBytes = image.width * 4;
    if (path === 'texture') {
      device.queue.writeTexture(
        { texture: this.texture! },
        bytes,
        { offset: tile.rowBegin * rowBytes + tile.colBegin * 4, bytesPerRow: rowBytes, rowsPerImage: rowsCount },
        { width: cols, height: rowsCount },
      );
      return;
    }
    const buffer = (source as { buffer: GPUBuffer }).buffer;
    if (cols === image.width) {
      // Whole rows: one contiguous range of the caller's bytes, no copy on this side.
      this.runtime.write(buffer, bytes.subarray(tile.rowBegin * rowBytes, tile.rowEnd * rowBytes));
      return;
    }
    for (let r = 0; r < rowsCount; r++) {
      const at = (tile.rowBegin + r) * rowBytes + tile.colBegin * 4;
      this.runtime.write(buffer, bytes.subarray(at, at + cols * 4), r * cols * 4);
    }
  }
}
