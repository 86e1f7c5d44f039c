import type { BufferScope } from '../../src/gpu/buffers';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { numel, type Tensor } from '../../src/ops/tensor';

/** Runs `body` with a buffer scope that is disposed afterwards, pass or fail. */
export async function withScope<T>(runtime: GpuRuntime, label: string, body: (scope: BufferScope) => Promise<T>): Promise<T> {
  const scope = runtime.scope(label);
  try {
    return await body(scope);
  } finally {
    scope.dispose();
  }
}

export function uploadTensor(scope: BufferScope, data: Float32Array, shape: readonly number[]): Tensor {
  if (data.length !== numel(shape)) throw new Error(`data has ${data.length} values, shape needs ${numel(shape)}`);
  return { buffer: scope.upload(data), shape };
}

export function emptyTensor(scope: BufferScope, shape: readonly number[]): Tensor {
  return { buffer: scope.storage(numel(shape) * 4), shape };
}

export async function readTensor(runtime: GpuRuntime, tensor: Tensor): Promise<Float32Array> {
  return runtime.readF32(tensor.buffer, numel(tensor.shape));
}
