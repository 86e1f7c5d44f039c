import { existsSync } from 'node:fs';
import { WebGPUUnavailableError } from '../errors';
import { paceDawnEvents, type DawnEventPacing } from './dawn-event-pacing';
import { GpuRuntime, type RuntimeOptions } from './runtime';

/**
 * WebGPU in Node through Dawn (the `webgpu` package), for tests, benchmarks and the CLI; never
 * imported by browser code. Without a GPU (no /dev/dri render node, no NVIDIA device) Dawn is
 * pointed at Chromium's SwiftShader Vulkan driver, which the setup step installs with Debian's
 * chromium. `DYNAMIC_HEAD_VULKAN=system` keeps the system's drivers; `=swiftshader` forces it.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function chooseVulkanDriver(): void {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES) return;
  const choice = process.env.DYNAMIC_HEAD_VULKAN;
  const hasGpu = existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128');
  if (choice === 'system' || (choice !== 'swiftshader' && hasGpu)) return;
  if (existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/**
 * A software Vulkan driver runs shaders on the CPU cores dawn.node's wait loop would spin on, so
 * its waits are paced there (see dawn-event-pacing.ts). `DYNAMIC_HEAD_DAWN_EVENTS=paced|spin`
 * overrides the choice.
 */
function chooseEventPacing(): DawnEventPacing | undefined {
  const choice = process.env.DYNAMIC_HEAD_DAWN_EVENTS;
  const software = /swiftshader|lvp_icd|lavapipe/i.test(process.env.VK_ICD_FILENAMES ?? '');
  if (choice === 'spin' || (choice !== 'paced' && !software)) return undefined;
  return paceDawnEvents();
}

let gpu: GPU | undefined;
let pacing: DawnEventPacing | undefined;

/** The event pacing in effect for this process's Dawn, if any. */
export function dawnEventPacing(): DawnEventPacing | undefined {
  return pacing;
}

export async function nodeGpu(): Promise<GPU> {
  if (!gpu) {
    chooseVulkanDriver();
    let dawn: typeof import('webgpu');
    try {
      dawn = await import('webgpu');
    } catch (error) {
      throw new WebGPUUnavailableError(`the "webgpu" package (Dawn for Node) could not be loaded: ${(error as Error).message}; install it with \`npm install webgpu\``);
    }
    pacing = chooseEventPacing();
    const { create, globals } = dawn;
    Object.assign(globalThis, globals);
    gpu = create([]) as GPU;
  }
  return gpu;
}

export async function createNodeRuntime(options: Omit<RuntimeOptions, 'gpu'> = {}): Promise<GpuRuntime> {
  return GpuRuntime.create({ ...options, gpu: await nodeGpu() });
}
