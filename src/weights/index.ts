/** Public API of the weights subsystem: the .dhw format, the checkpoint converter and the loader. */
export type {
  BackboneConfig,
  FpnConfig,
  GateActivation,
  HeadConfig,
  HeadKind,
  InputConfig,
  InputFormat,
  ModelConfig,
  ModelConfigOverrides,
  TestConfig,
  TopBlockInput,
} from './config';
export { DEFAULT_MODEL_CONFIG } from './config';
export type { TensorInfo, WeightsDType, WeightsHeader } from './format';
export { WEIGHTS_FORMAT_VERSION, decodeHeader, parsePreamble, readFileHead } from './format';
export type { ConversionResult, ConvertOptions, ConvertProgress } from './convert';
export { convertCheckpoint } from './convert';
export type { TensorSink, TensorWriter } from './sink';
export { CpuTensorSink, type CpuTensor } from './cpu-sink';
export { GpuTensorSink, type GpuSinkOptions, type GpuTensor } from './gpu-sink';
export { loadWeights, type LoadedWeights, type LoadWeightsOptions, type WeightsSource } from './loader';
