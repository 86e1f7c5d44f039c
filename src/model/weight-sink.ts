import type { BufferScope } from '../gpu/buffers';
import { packConvWeights } from '../ops/conv2d';
import { packDepthwiseWeights } from '../ops/head-depthwise';
import type { Tensor } from '../ops/tensor';
import { f16ArrayToF32 } from '../weights/f16';
import type { TensorInfo, WeightsHeader } from '../weights/format';
import type { TensorSink, TensorWriter } from '../weights/sink';
import { WeightsFormatError } from '../errors';
import { stackedHeadWeights, type StackedWeight } from './head-weights';

interface Placement {
  readonly stack: StackedWeight;
  readonly part: StackedWeight['parts'][number];
}

/**
 * Streams weights into the layouts the kernels read: conv weights (OIHW in the file) become HWIO
 * [KH, KW, Cin, Cout], depthwise weights [C, 1, 3, 3] become tap-major [9, C], everything else
 * keeps its shape. Tensors arrive one after another, so three staging arrays sized for the largest
 * tensor (raw bytes, f32 values, re-laid-out values) are reused for all of them: JS memory stays
 * near 3× the largest tensor plus the network's chunks, whatever the file size. `writeBuffer`
 * copies immediately, so reuse after the upload is safe.
 */
export class EngineWeightSink implements TensorSink<Tensor> {
  private raw = new Uint8Array(0);
  private values = new Float32Array(0);
  private packed = new Float32Array(0);
  private readonly placements = new Map<string, Placement>();
  private readonly stacks = new Map<string, { tensor: Tensor; host?: Float32Array; missing: number }>();

  /**
   * With `stackHead`, the head's per-tower / per-path tensors go straight into the stacked
   * tensors the packed head reads (head-weights.ts), each part written at its place as it
   * arrives: no copy and no second buffer. A part's entry in the loaded map is its stack.
   */
  constructor(
    private readonly scope: BufferScope,
    private readonly options: { readonly stackHead?: boolean } = {},
  ) {}

  begin(header: WeightsHeader): void {
    for (const t of header.tensors) this.reserve(t);
    if (!this.options.stackHead) return;
    const present = new Set(header.tensors.map((t) => t.name));
    for (const stack of stackedHeadWeights(header.config)) {
      if (!stack.parts.every((p) => present.has(p.source))) continue;
      const count = stack.shape.reduce((a, b) => a * b, 1);
      const tensor = { buffer: this.scope.storage(count * 4, stack.name), shape: stack.shape };
      const columns = stack.parts.some((p) => p.columns);
      this.stacks.set(stack.name, { tensor, host: columns ? new Float32Array(count) : undefined, missing: stack.parts.length });
      for (const part of stack.parts) this.placements.set(part.source, { stack, part });
    }
  }

  /** The stacked head tensors, by name (after every tensor has arrived). */
  stacked(): Map<string, Tensor> {
    return new Map([...this.stacks].map(([name, s]) => [name, s.tensor]));
  }

  /** Whether an engine tensor went into a stack (and so has no buffer of its own). */
  isStacked(name: string): boolean {
    return this.placements.has(name);
  }

  open(info: TensorInfo): TensorWriter<Tensor> {
    this.reserve(info);
    let filled = 0;
    return {
      write: (chunk) => {
        this.raw.set(chunk, filled);
        filled += chunk.byteLength;
      },
      finish: () => {
        const count = info.shape.reduce((a, b) => a * b, 1);
        const values =
          info.dtype === 'f16'
            ? f16ArrayToF32(new Uint16Array(this.raw.buffer, 0, count), this.values.subarray(0, count))
            : new Float32Array(this.raw.buffer, 0, count);
        const { data, shape } = this.relayout(info.name, info.shape, values);
        const placement = this.placements.get(info.name);
        if (placement) return this.place(placement, data);
        return { buffer: this.scope.upload(data, info.name), shape };
      },
    };
  }

  abort(): void {
    this.scope.dispose();
  }

  private place({ stack, part }: Placement, data: Float32Array): Tensor {
    const entry = this.stacks.get(stack.name)!;
    const size = entry.host?.length ?? entry.tensor.shape.reduce((a, b) => a * b, 1);
    if (part.columns) {
      const rows = size / part.columns.total;
      const width = data.length / rows;
      if (!Number.isInteger(width) || part.columns.first + width > part.columns.total) {
        throw new WeightsFormatError(`${part.source} (${data.length} values) does not fit columns ${part.columns.first}+ of ${stack.name}`);
      }
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < width; j++) entry.host![r * part.columns.total + part.columns.first + j] = data[r * width + j]!;
      }
    } else if (part.offset + data.length > size) {
      throw new WeightsFormatError(`${part.source} (${data.length} values) does not fit ${stack.name} at ${part.offset}`);
    } else if (entry.host) {
      entry.host.set(data, part.offset);
    } else {
      this.scope.write(entry.tensor.buffer, data, part.offset * 4);
    }
    if (--entry.missing === 0 && entry.host) this.scope.write(entry.tensor.buffer, entry.host);
    return entry.tensor;
  }

  /** Grows the staging arrays to hold `info` (once per load when `begin` saw the header). */
  private reserve(info: TensorInfo): void {
    const elements = info.shape.reduce((a, b) => a * b, 1);
    if (info.byteLength > this.raw.byteLength) this.raw = new Uint8Array(Math.ceil(info.byteLength / 4) * 4);
    if (elements > this.values.length) {
      this.values = new Float32Array(elements);
      this.packed = new Float32Array(elements);
    }
  }

  private relayout(name: string, shape: readonly number[], data: Float32Array): { data: Float32Array; shape: number[] } {
    if (shape.length !== 4) return { data, shape: [...shape] };
    const [o, i, kh, kw] = shape as [number, number, number, number];
    if (isDepthwiseWeight(name, shape)) return { data: packDepthwiseWeights(data, o, this.packed), shape: engineShape(name, shape) };
    return { data: packConvWeights(data, [o, i, kh, kw], this.packed), shape: engineShape(name, shape) };
  }
}

/** The shape a tensor has on the GPU: HWIO for convs, tap-major [9, C] for depthwise weights. */
export function engineShape(name: string, shape: readonly number[]): number[] {
  if (shape.length !== 4) return [...shape];
  const [o, i, kh, kw] = shape as [number, number, number, number];
  return isDepthwiseWeight(name, shape) ? [9, o] : [kh, kw, i, o];
}

export function isDepthwiseWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 4 && shape[1] === 1 && shape[2] === 3 && name.includes('.dynamic_convs.') && name.endsWith('convs.0.weight');
}
