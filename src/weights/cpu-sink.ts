/** A sink that keeps tensors as f32 arrays in JS memory (tests, Node tools, CPU references). */
import { f16ArrayToF32 } from './f16';
import type { TensorInfo, WeightsDType } from './format';
import type { TensorSink, TensorWriter } from './sink';

export interface CpuTensor {
  readonly shape: readonly number[];
  /** How the file stored it; `data` is always f32. */
  readonly storedAs: WeightsDType;
  readonly data: Float32Array;
}

export class CpuTensorSink implements TensorSink<CpuTensor> {
  open(info: TensorInfo): TensorWriter<CpuTensor> {
    const bytes = new Uint8Array(info.byteLength);
    let at = 0;
    return {
      write(chunk) {
        bytes.set(chunk, at);
        at += chunk.length;
      },
      finish() {
        const data =
          info.dtype === 'f32'
            ? new Float32Array(bytes.buffer, 0, info.byteLength / 4)
            : f16ArrayToF32(new Uint16Array(bytes.buffer, 0, info.byteLength / 2));
        return { shape: info.shape, storedAs: info.dtype, data };
      },
    };
  }
}
