import type { BufferScope } from '../gpu/buffers';
import { packConvWeights } from '../ops/conv2d';
import { packDepthwiseWeights } from '../ops/depthwise-conv';
import type { Tensor } from '../ops/tensor';
import { f16ArrayToF32 } from '../weights/f16';
import type { TensorInfo } from '../weights/format';
import type { TensorSink, TensorWriter } from '../weights/sink';

/**
 * Streams weights into the layouts the kernels read: conv weights (OIHW in the file) become HWIO
 * [KH, KW, Cin, Cout], depthwise weights [C, 1, 3, 3] become tap-major [9, C], everything else
 * keeps its shape. Only one tensor at a time is held on the CPU (f16 is widened to f32 there).
 */
export class EngineWeightSink implements TensorSink<Tensor> {
  constructor(private readonly scope: BufferScope) {}

  open(info: TensorInfo): TensorWriter<Tensor> {
    const bytes = new Uint8Array(info.byteLength);
    let filled = 0;
    return {
      write: (chunk) => {
        bytes.set(chunk, filled);
        filled += chunk.byteLength;
      },
      finish: () => {
        const values =
          info.dtype === 'f16' ? f16ArrayToF32(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer);
        const { data, shape } = relayout(info.name, info.shape, values);
        return { buffer: this.scope.upload(data, info.name), shape };
      },
    };
  }

  abort(): void {
    this.scope.dispose();
  }
}

export function isDepthwiseWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 4 && shape[1] === 1 && shape[2] === 3 && name.includes('.dynamic_convs.') && name.endsWith('convs.0.weight');
}

function relayout(name: string, shape: readonly number[], data: Float32Array): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data, shape: [...shape] };
  const [o, i, kh, kw] = shape as [number, number, number, number];
  if (isDepthwiseWeight(name, shape)) return { data: packDepthwiseWeights(data, o), shape: [9, o] };
  return { data: packConvWeights(data, [o, i, kh, kw]), shape: [kh, kw, i, o] };
}
