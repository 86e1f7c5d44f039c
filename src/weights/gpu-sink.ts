/**
 * A sink that streams each tensor straight into its own GPU storage buffer with
 * `queue.writeBuffer` (which copies immediately, so no piece outlives its write). f16 tensors stay
 * f16 when the device has `shader-f16`, and are otherwise widened to f32 on the CPU piece by
 * piece.
 */
import type { BufferScope } from '../gpu/buffers';
import type { GpuRuntime } from '../gpu/runtime';
import { f16ArrayToF32 } from './f16';
import type { TensorInfo, WeightsDType } from './format';
import type { TensorSink, TensorWriter } from './sink';

export interface GpuTensor {
  readonly buffer: GPUBuffer;
  readonly shape: readonly number[];
  /** Element type in `buffer` (f16 only when kept as f16). */
  readonly dtype: WeightsDType;
  /** Meaningful bytes in `buffer` (its size is rounded up to 16). */
  readonly byteLength: number;
}

export interface GpuSinkOptions {
  /** 'auto' (default): keep f16 if the device has shader-f16, else widen to f32. */
  readonly f16?: 'auto' | 'keep' | 'upcast';
  /** Label of the buffer scope that owns the weights. */
  readonly label?: string;
}

export class GpuTensorSink implements TensorSink<GpuTensor> {
  /** Owns every weight buffer; `dispose()` it to free them. */
  readonly scope: BufferScope;
  private readonly device: GPUDevice;
  private readonly keepF16: boolean;

  constructor(runtime: GpuRuntime, options: GpuSinkOptions = {}) {
    this.device = runtime.device;
    this.scope = runtime.scope(options.label ?? 'weights');
    const mode = options.f16 ?? 'auto';
    this.keepF16 = mode === 'keep' || (mode === 'auto' && runtime.capabilities.f16);
  }

  open(info: TensorInfo): TensorWriter<GpuTensor> {
    const widen = info.dtype === 'f16' && !this.keepF16;
    const dtype: WeightsDType = widen ? 'f32' : info.dtype;
    const byteLength = widen ? info.byteLength * 2 : info.byteLength;
    const buffer = this.scope.storage(byteLength, info.name);
    const queue = this.device.queue;
    const result = (): GpuTensor => ({ buffer, shape: info.shape, dtype, byteLength });
    return widen ? widenWriter(queue, buffer, result) : alignedWriter(queue, buffer, result);
  }

  abort(): void {
    this.scope.dispose();
  }
}

/** Writes bytes as they come; writeBuffer needs 4-byte multiples, so 0–3 bytes carry over. */
function alignedWriter(queue: GPUQueue, buffer: GPUBuffer, result: () => GpuTensor): TensorWriter<GpuTensor> {
  const carry = new Uint8Array(4);
  let carried = 0;
  let written = 0;
  return {
    write(chunk) {
      let at = 0;
      if (carried > 0) {
        at = Math.min(4 - carried, chunk.length);
        carry.set(chunk.subarray(0, at), carried);
        carried += at;
        if (carried < 4) return;
        queue.writeBuffer(buffer, written, carry.buffer, 0, 4);
        written += 4;
        carried = 0;
      }
      const n = (chunk.length - at) & ~3;
      if (n > 0) {
        queue.writeBuffer(buffer, written, chunk.buffer, chunk.byteOffset + at, n);
        written += n;
      }
      carried = chunk.length - at - n;
      carry.set(chunk.subarray(at + n));
    },
    finish() {
      if (carried > 0) {
        carry.fill(0, carried);
        queue.writeBuffer(buffer, written, carry.buffer, 0, 4); // the buffer is padded to 16 bytes
      }
      return result();
    },
  };
}

/** Widens f16 to f32 piece by piece (an odd trailing byte waits for the next piece). */
function widenWriter(queue: GPUQueue, buffer: GPUBuffer, result: () => GpuTensor): TensorWriter<GpuTensor> {
  let pending = -1;
  let written = 0;
  return {
    write(chunk) {
      let bytes = chunk;
      if (pending >= 0 && chunk.length > 0) {
        bytes = new Uint8Array(chunk.length + 1);
        bytes[0] = pending;
        bytes.set(chunk, 1);
        pending = -1;
      }
      const even = bytes.length & ~1;
      if (bytes.length > even) pending = bytes[even];
      if (even === 0) return;
      const halves =
        bytes.byteOffset % 2 === 0
          ? new Uint16Array(bytes.buffer, bytes.byteOffset, even / 2)
          : new Uint16Array(bytes.slice(0, even).buffer); // Uint16Array needs 2-byte alignment
      const wide = f16ArrayToF32(halves);
      queue.writeBuffer(buffer, written, wide.buffer, 0, wide.byteLength);
      written += wide.byteLength;
    },
    finish: result,
  };
}
