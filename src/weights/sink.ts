/**
 * Where the loader puts tensors: a sink opens one writer per tensor and receives its bytes in
 * order, in pieces, as they stream in. Pieces are only valid during `write` (the loader releases
 * them right after), so a sink copies what it keeps — to the GPU, or into a CPU array.
 */
import type { TensorInfo, WeightsHeader } from './format';

export interface TensorWriter<T> {
  /** The next bytes of the tensor. */
  write(chunk: Uint8Array): void;
  /** All bytes have arrived (and passed the CRC check). */
  finish(): T;
}

export interface TensorSink<T> {
  /** The header has been parsed; called before the first `open`. */
  begin?(header: WeightsHeader): void | Promise<void>;
  open(info: TensorInfo): TensorWriter<T>;
  /** Every tensor is finished. */
  end?(): void | Promise<void>;
  /** Loading failed: release whatever was created. */
  abort?(reason: unknown): void;
}
