/**
 * GPU buffers with explicit ownership: every buffer belongs to one `BufferScope`, and disposing
 * the scope destroys them all. Sizes are rounded up to 16 bytes so vec4 access past the logical
 * end of a tensor stays inside the allocation.
 */
export const STORAGE_USAGE = () =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function alignedSize(byteLength: number, alignment = 16): number {
  return Math.max(alignment, Math.ceil(byteLength / alignment) * alignment);
}

export type HostData = Float32Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

export class BufferScope {
  private readonly owned = new Set<GPUBuffer>();
  private disposed = false;

  constructor(
    private readonly device: GPUDevice,
    readonly label: string,
  ) {}

  /** Bytes currently held by this scope. */
  get byteLength(): number {
    let total = 0;
    for (const b of this.owned) total += b.size;
    return total;
  }

  /** A zero-initialised storage buffer (WebGPU guarantees zeroed contents on creation). */
  storage(byteLength: number, label = this.label, extraUsage = 0): GPUBuffer {
    return this.track(
      this.device.createBuffer({ label, size: alignedSize(byteLength), usage: STORAGE_USAGE() | extraUsage }),
    );
  }

  /** A storage buffer holding `data`. */
  upload(data: HostData, label = this.label, extraUsage = 0): GPUBuffer {
    const buffer = this.storage(data.byteLength, label, extraUsage);
    writeBuffer(this.device, buffer, data);
    return buffer;
  }

  /** Writes host data into one of this scope's buffers (queue.writeBuffer). */
  write(buffer: GPUBuffer, data: HostData, byteOffset = 0): void {
    writeBuffer(this.device, buffer, data, byteOffset);
  }

  /** A uniform buffer holding `bytes` (already padded, e.g. from UniformWriter). */
  uniform(bytes: ArrayBuffer, label = this.label): GPUBuffer {
    const buffer = this.track(
      this.device.createBuffer({
        label,
        size: alignedSize(bytes.byteLength),
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      }),
    );
    this.device.queue.writeBuffer(buffer, 0, bytes);
    return buffer;
  }

  /** A buffer of indirect dispatch arguments, also writable from shaders. */
  indirect(count = 1, label = this.label): GPUBuffer {
    return this.storage(12 * count, label, GPUBufferUsage.INDIRECT);
  }

  /** Destroys one buffer early and forgets it. */
  release(buffer: GPUBuffer): void {
    if (this.owned.delete(buffer)) buffer.destroy();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) b.destroy();
    this.owned.clear();
  }

  private track(buffer: GPUBuffer): GPUBuffer {
    if (this.disposed) {
      buffer.destroy();
      throw new Error(`buffer scope "${this.label}" is disposed`);
    }
    this.owned.add(buffer);
    return buffer;
  }
}

/** Writes host data at `byteOffset`, padding the tail so the copy size is a multiple of 4. */
export function writeBuffer(device: GPUDevice, buffer: GPUBuffer, data: HostData, byteOffset = 0): void {
  if (data.byteLength % 4 === 0) {
    device.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
    return;
  }
  const padded = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
  padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  device.queue.writeBuffer(buffer, byteOffset, padded);
}

/** Copies `byteLength` bytes of `buffer` back to the host (one staging buffer per call). */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength = buffer.size,
  byteOffset = 0,
): Promise<ArrayBuffer> {
  const size = alignedSize(byteLength, 4);
  const staging = device.createBuffer({
    label: `readback of ${buffer.label}`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange(0, size).slice(0, byteLength);
  } finally {
    staging.destroy();
  }
}
