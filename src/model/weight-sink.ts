import type { BufferScope } from '../gpu/buffers';
import { packConvWeights } from '../ops/conv2d';
import { packDepthwiseWeights } from '../ops/depthwise-conv';
import type { Tensor } from '../ops/tensor';
import { f16ArrayToF32 } from '../weights/f16';
import type { TensorInfo, WeightsHeader } from '../weights/format';
import type { TensorSink, TensorWriter } from '../weights/sink';

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

  constructor(private readonly scope: BufferScope) {}

  begin(header: WeightsHeader): void {
    for (const t of header.tensors) this.reserve(t);
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
        return { buffer: this.scope.upload(data, info.name), shape };
      },
    };
  }

  abort(): void {
    this.scope.dispose();
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
    if (isDepthwiseWeight(name, shape)) return { data: packDepthwiseWeights(data, o, this.packed), shape: [9, o] };
    return { data: packConvWeights(data, [o, i, kh, kw], this.packed), shape: [kh, kw, i, o] };
  }
}

export function isDepthwiseWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 4 && shape[1] === 1 && shape[2] === 3 && name.includes('.dynamic_convs.') && name.endsWith('convs.0.weight');
}
