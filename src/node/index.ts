/**
 * dynamic-head-webgpu for Node (the package's `node` export): the same detector in-process on
 * Dawn (the optional `webgpu` peer package), with file paths, URLs and bytes as inputs.
 *
 *   const detector = await createDetector({ weights: 'model.dhw' });
 *   const { detections } = await detector.detect('photo.jpg');
 *   await detector.dispose();
 */
export { createDetector, type NodeDetector, type NodeDetectorOptions, type NodeImageSource, type NodeWeightsInput } from './create-detector';
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
} from '../api/types';
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
} from '../errors';
