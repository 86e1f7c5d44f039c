/**
 * dynamic-head-webgpu: the Fine-Grained Dynamic Head detector on WebGPU, in a web worker.
 *
 *   const detector = await createDetector({ weights: '/model.dhw' });
 *   const { detections } = await detector.detect(imageElement);
 *   await detector.dispose();
 */
export { createDetector } from './api/create-detector';
export type {
  AdapterSummary,
  Box,
  CreateDetectorOptions,
  DetectOptions,
  DetectResult,
  DetectTimings,
  Detection,
  Detector,
  GateMap,
  GatePath,
  ImageSource,
  LevelName,
  LoadPhase,
  LoadProgress,
  LoadTimings,
  MacCounts,
  ModelConfig,
  ModelInfo,
  RouterDensity,
  WarmupOptions,
  WarmupResult,
  WeightsInput,
} from './api/types';
export {
  AbortError,
  AdapterUnavailableError,
  CheckpointFormatError,
  CheckpointMismatchError,
  DeviceLostError,
  DeviceRequirementsError,
  DynamicHeadError,
  EngineDisposedError,
  InvalidArgumentError,
  ShaderNotFoundError,
  UnsafeCheckpointError,
  UnsupportedImageError,
  WebGPUUnavailableError,
  WeightsFetchError,
  WeightsFormatError,
  type ErrorCode,
} from './errors';
