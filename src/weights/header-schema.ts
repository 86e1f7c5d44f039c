/**
 * The weights header's protobuf schema as a data table: a transcription of
 * weights/dynamic_head.proto, which stays the single source of truth (a Node test checks this
 * table against the .proto, field by field, with protobufjs). Decoding from a table instead of
 * protobufjs's reflection keeps `Function`/`eval` out of the worker bundle (strict CSP).
 */
import type { EnumSpec, FieldSpec, MessageSpec } from './protobuf-message';

const enumOf = (name: string, values: Record<number, string>): EnumSpec => ({ kind: 'enum', name, values });
const message = (name: string, fields: FieldSpec[]): MessageSpec => ({ kind: 'message', name, fields });

export const DTYPE_ENUM = enumOf('DType', { 0: 'DTYPE_UNSPECIFIED', 1: 'F32', 2: 'F16' });
export const HEAD_KIND_ENUM = enumOf('HeadKind', { 0: 'HEAD_KIND_UNSPECIFIED', 1: 'DYNAMIC', 2: 'FIXED', 3: 'FCOS' });
export const GATE_ACTIVATION_ENUM = enumOf('GateActivation', { 0: 'GATE_ACTIVATION_UNSPECIFIED', 1: 'GERETANH', 2: 'RETANH', 3: 'SIGMOID' });
export const TOP_BLOCK_INPUT_ENUM = enumOf('TopBlockInput', { 0: 'TOP_BLOCK_INPUT_UNSPECIFIED', 1: 'C5', 2: 'P5' });

const BACKBONE = message('BackboneConfig', [
  { name: 'depth', id: 1, type: 'uint32' },
  { name: 'stageBlocks', id: 2, type: 'uint32', repeated: true },
  { name: 'stemChannels', id: 3, type: 'uint32' },
  { name: 'res2Channels', id: 4, type: 'uint32' },
  { name: 'widthPerGroup', id: 5, type: 'uint32' },
  { name: 'numGroups', id: 6, type: 'uint32' },
  { name: 'strideIn1x1', id: 7, type: 'bool' },
  { name: 'frozenBnEps', id: 8, type: 'double' },
]);

const FPN = message('FpnConfig', [
  { name: 'channels', id: 1, type: 'uint32' },
  { name: 'inFeatures', id: 2, type: 'string', repeated: true },
  { name: 'topBlockInput', id: 3, type: TOP_BLOCK_INPUT_ENUM },
  { name: 'strides', id: 4, type: 'uint32', repeated: true },
]);

const HEAD = message('HeadConfig', [
  { name: 'kind', id: 1, type: HEAD_KIND_ENUM },
  { name: 'channels', id: 2, type: 'uint32' },
  { name: 'routersPerTower', id: 3, type: 'uint32' },
  { name: 'numClasses', id: 4, type: 'uint32' },
  { name: 'gnGroups', id: 5, type: 'uint32' },
  { name: 'gnEps', id: 6, type: 'double' },
  { name: 'gateActivation', id: 7, type: GATE_ACTIVATION_ENUM },
  { name: 'gateTau', id: 8, type: 'double' },
  { name: 'centernessOnReg', id: 9, type: 'bool' },
  { name: 'normRegTargets', id: 10, type: 'bool' },
]);

const INPUT = message('InputConfig', [
  { name: 'format', id: 1, type: 'string' },
  { name: 'pixelMean', id: 2, type: 'double', repeated: true },
  { name: 'pixelStd', id: 3, type: 'double', repeated: true },
  { name: 'sizeDivisibility', id: 4, type: 'uint32' },
  { name: 'minSize', id: 5, type: 'uint32' },
  { name: 'maxSize', id: 6, type: 'uint32' },
]);

const TEST = message('TestConfig', [
  { name: 'scoreThresh', id: 1, type: 'double' },
  { name: 'topkCandidates', id: 2, type: 'uint32' },
  { name: 'nmsThresh', id: 3, type: 'double' },
  { name: 'maxDetections', id: 4, type: 'uint32' },
]);

const MODEL = message('ModelConfig', [
  { name: 'architecture', id: 1, type: 'string' },
  { name: 'backbone', id: 2, type: BACKBONE },
  { name: 'fpn', id: 3, type: FPN },
  { name: 'head', id: 4, type: HEAD },
  { name: 'input', id: 5, type: INPUT },
  { name: 'test', id: 6, type: TEST },
]);

const TENSOR = message('TensorEntry', [
  { name: 'name', id: 1, type: 'string' },
  { name: 'shape', id: 2, type: 'uint32', repeated: true },
  { name: 'dtype', id: 3, type: DTYPE_ENUM },
  { name: 'offset', id: 4, type: 'uint64' },
  { name: 'byteLength', id: 5, type: 'uint64' },
  { name: 'crc32', id: 6, type: 'fixed32', optional: true },
]);

const SOURCE = message('SourceInfo', [
  { name: 'fileName', id: 1, type: 'string' },
  { name: 'format', id: 2, type: 'string' },
  { name: 'converter', id: 3, type: 'string' },
]);

/** `dynamichead.weights.WeightsHeader`. */
export const WEIGHTS_HEADER_SCHEMA = message('WeightsHeader', [
  { name: 'config', id: 1, type: MODEL },
  { name: 'tensors', id: 2, type: TENSOR, repeated: true },
  { name: 'dataLength', id: 3, type: 'uint64' },
  { name: 'source', id: 4, type: SOURCE },
  { name: 'classNames', id: 5, type: 'string', repeated: true },
]);
