/**
 * Counts live GPU buffers by wrapping a device's `createBuffer` and each buffer's `destroy`: the
 * leak check behind `dispose()`'s report, the soak series and the tests. A buffer counts as live
 * from its creation until `destroy()` (destroying the device is not counted as freeing them: the
 * check is whether the engine released what it made).
 */
import type { BufferCensus } from '../api/worker-protocol';

export type { BufferCensus };

const watched = new WeakSet<GPUDevice>();

export class GpuBufferCensus {
  private readonly live = new Map<GPUBuffer, number>();

  /** Starts counting this device's buffers (idempotent). */
  watch(device: GPUDevice): void {
    if (watched.has(device)) return;
    watched.add(device);
    const create = device.createBuffer.bind(device);
    const live = this.live;
    device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
      const buffer = create(descriptor);
      live.set(buffer, descriptor.size);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        live.delete(buffer);
        destroy();
      };
      return buffer;
    };
  }

  get current(): BufferCensus {
    let bytes = 0;
    for (const size of this.live.values()) bytes += size;
    return { buffers: this.live.size, bytes };
  }
}
