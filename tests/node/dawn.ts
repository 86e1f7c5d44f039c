import { GpuRuntime } from '../../src/gpu/runtime';

/**
 * WebGPU in Node through Dawn (the `webgpu` package). On machines without a GPU, Dawn runs on
 * SwiftShader: scripts/test.mjs points VK_ICD_FILENAMES at Chromium's SwiftShader ICD.
 */
let gpu: GPU | undefined;

export async function nodeGpu(): Promise<GPU> {
  if (!gpu) {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    gpu = create([]) as GPU;
  }
  return gpu;
}

export async function createNodeRuntime(): Promise<GpuRuntime> {
  return GpuRuntime.create({ gpu: await nodeGpu() });
}
