import { describe, expect, it } from 'vitest';
import { AdapterUnavailableError, DeviceRequirementsError, WebGPUUnavailableError } from '../../src/errors';
import { adapterOverrides, isSoftwareAdapter } from '../../src/gpu/capabilities';
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

describe('adapter classification', () => {
  it('recognises CPU implementations of WebGPU by name or fallback flag, and GPUs as hardware', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: '', description: '', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: '' })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770' })).toBe(false);
    expect(adapterOverrides({ softwareAdapter: true })).toEqual({ SOFTWARE_ADAPTER: 1 });
    expect(adapterOverrides({ softwareAdapter: false })).toEqual({ SOFTWARE_ADAPTER: 0 });
  });

  it('the Node runtime reports what it runs on (SwiftShader here unless a GPU driver is chosen)', async () => {
    const rt = await GpuRuntime.create({ gpu: await nodeGpu() });
    const info = rt.capabilities.adapterInfo;
    expect(rt.capabilities.softwareAdapter).toBe(/swiftshader|llvmpipe/i.test(`${info.architecture} ${info.description}`));
    rt.destroy();
  });
});
