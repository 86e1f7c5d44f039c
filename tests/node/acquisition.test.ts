import { describe, expect, it } from 'vitest';
import { AdapterUnavailableError, DeviceRequirementsError, WebGPUUnavailableError } from '../../src/errors';
import { GpuRuntime } from '../../src/gpu/runtime';
import { nodeGpu } from '../../src/gpu/node-gpu';

describe('device acquisition errors', () => {
  it('no navigator.gpu → WebGPUUnavailableError with an actionable message', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
    try {
      const error = await GpuRuntime.create().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebGPUUnavailableError);
      expect((error as WebGPUUnavailableError).code).toBe('WEBGPU_UNAVAILABLE');
      expect((error as Error).message).toMatch(/WebGPU is not available.*browser/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it('requestAdapter() → null gives AdapterUnavailableError', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const error = await GpuRuntime.create({ gpu }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterUnavailableError);
    expect((error as Error).message).toMatch(/driver|chrome:\/\/gpu/);
  });

  it('an adapter below the required limits fails clearly, naming the limit', async () => {
    const error = await GpuRuntime.create({
      gpu: await nodeGpu(),
      minimumLimits: { maxStorageBufferBindingSize: 2 ** 52 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceRequirementsError);
    expect((error as Error).message).toContain('maxStorageBufferBindingSize');
  });
});
