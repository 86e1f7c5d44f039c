export { GpuRuntime, type RuntimeOptions, type DeviceLostDetail } from './runtime';
export { BufferScope, alignedSize, readBuffer, writeBuffer, type HostData } from './buffers';
export { PipelineCache } from './pipeline-cache';
export { PassTimer, type PassTimings } from './timing';
export { UniformWriter, pipelineKey, workgroups1D, type KernelProgram, type Binding, type Dispatch } from './kernel';
export { shaderSource, shaderNames } from './shader-registry';
export type { Capabilities, OptionalFeature, LimitName } from './capabilities';
