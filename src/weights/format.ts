/**
 * The `.dhw` weights file: magic, format version, header length, protobuf header (model config +
 * tensor table), then 64-byte aligned raw tensors. Every tensor's position is known once the
 * header has arrived, so a loader can hand each tensor's bytes to the GPU as they stream in.
 */
import { WeightsFormatError } from '../errors';
import { configProblems, type GateActivation, type HeadKind, type ModelConfig, type TopBlockInput } from './config';
import { weightsHeaderType } from './schema';

export const WEIGHTS_MAGIC = 'DHWF';
export const WEIGHTS_FORMAT_VERSION = 1;
/** magic + version + header length */
export const PREAMBLE_BYTES = 12;
/** Alignment of the data section and of every tensor in it. */
export const TENSOR_ALIGNMENT = 64;
export const MAX_HEADER_BYTES = 64 << 20;
const MAX_TENSORS = 100_000;
const MAX_RANK = 8;

export type WeightsDType = 'f32' | 'f16';

export const DTYPE_BYTES: Readonly<Record<WeightsDType, number>> = { f32: 4, f16: 2 };

export interface TensorInfo {
  readonly name: string;
  /** PyTorch order; conv weights are OIHW. */
  readonly shape: readonly number[];
  readonly dtype: WeightsDType;
  /** From the start of the data section. */
  readonly offset: number;
  readonly byteLength: number;
  readonly crc32: number;
}

export interface SourceInfo {
  readonly fileName: string;
  readonly format: string;
  readonly converter: string;
}

export interface WeightsHeader {
  readonly config: ModelConfig;
  readonly tensors: readonly TensorInfo[];
  /** Bytes of the data section. */
  readonly dataLength: number;
  readonly source?: SourceInfo;
}

export interface Preamble {
  readonly version: number;
  readonly headerLength: number;
  /** File offset of the data section. */
  readonly dataStart: number;
}

export const alignUp = (n: number, a = TENSOR_ALIGNMENT): number => Math.ceil(n / a) * a;

export function dataStartFor(headerLength: number): number {
  return alignUp(PREAMBLE_BYTES + headerLength);
}

export function encodePreamble(headerLength: number): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  for (let i = 0; i < 4; i++) out[i] = WEIGHTS_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(4, WEIGHTS_FORMAT_VERSION, true);
  view.setUint32(8, headerLength, true);
  return out;
}

/** Checks magic and version of the first 12 bytes. */
export function parsePreamble(bytes: Uint8Array): Preamble {
  if (bytes.length < PREAMBLE_BYTES) throw new WeightsFormatError(`truncated: only ${bytes.length} bytes`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== WEIGHTS_MAGIC) {
    throw new WeightsFormatError(
      `not a dynamic-head weights file (magic "${magic.replace(/[^\x20-\x7e]/g, '?')}", expected "${WEIGHTS_MAGIC}"); ` +
        'convert a checkpoint with `dynamic-head convert`',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  const version = view.getUint32(4, true);
  if (version !== WEIGHTS_FORMAT_VERSION) {
    throw new WeightsFormatError(
      `format version ${version} is not supported (this engine reads version ${WEIGHTS_FORMAT_VERSION}); ` +
        (version > WEIGHTS_FORMAT_VERSION ? 'update the engine' : 're-convert the checkpoint'),
    );
  }
  const headerLength = view.getUint32(8, true);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES) throw new WeightsFormatError(`bad header length ${headerLength}`);
  return { version, headerLength, dataStart: dataStartFor(headerLength) };
}

const HEAD_KINDS: Record<string, HeadKind> = { DYNAMIC: 'dynamic', FIXED: 'fixed' };
const GATES: Record<string, GateActivation> = { GERETANH: 'geretanh', RETANH: 'retanh', SIGMOID: 'sigmoid' };
const TOP_INPUTS: Record<string, TopBlockInput> = { C5: 'c5', P5: 'p5' };
const DTYPES: Record<string, WeightsDType> = { F32: 'f32', F16: 'f16' };
const upper = (v: string) => v.toUpperCase();

export function encodeHeader(header: WeightsHeader): Uint8Array {
  const type = weightsHeaderType();
  const c = header.config;
  const message = type.fromObject({
    config: {
      architecture: c.architecture,
      backbone: c.backbone,
      fpn: { ...c.fpn, topBlockInput: upper(c.fpn.topBlockInput) },
      head: { ...c.head, kind: upper(c.head.kind), gateActivation: upper(c.head.gateActivation) },
      input: c.input,
      test: c.test,
    },
    tensors: header.tensors.map((t) => ({ ...t, dtype: upper(t.dtype) })),
    dataLength: header.dataLength,
    source: header.source,
  });
  return type.encode(message).finish();
}

type Obj = Record<string, unknown>;

/** Decodes and validates a header (the `headerLength` bytes after the preamble). */
export function decodeHeader(bytes: Uint8Array): WeightsHeader {
  let raw: Obj;
  try {
    const type = weightsHeaderType();
    raw = type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: true, arrays: true }) as Obj;
  } catch (e) {
    throw new WeightsFormatError(`corrupt header (${(e as Error).message})`);
  }
  const problems: string[] = [];
  const rc = (raw.config ?? {}) as Obj;
  const section = (k: string) => (rc[k] ?? {}) as Obj;
  const enumOf = <T>(table: Record<string, T>, v: unknown, what: string): T => {
    const r = typeof v === 'string' ? table[v] : undefined;
    if (r === undefined) problems.push(`${what} is ${String(v)}`);
    return r as T;
  };
  const fpn = section('fpn');
  const head = section('head');
  const config = {
    architecture: String(rc.architecture ?? ''),
    backbone: section('backbone'),
    fpn: { ...fpn, topBlockInput: enumOf(TOP_INPUTS, fpn.topBlockInput, 'fpn.topBlockInput') },
    head: {
      ...head,
      kind: enumOf(HEAD_KINDS, head.kind, 'head.kind'),
      gateActivation: enumOf(GATES, head.gateActivation, 'head.gateActivation'),
    },
    input: section('input'),
    test: section('test'),
  } as unknown as ModelConfig;
  if (raw.config === undefined || raw.config === null) problems.push('the header has no model config');
  else problems.push(...configProblems(config));

  const dataLength = raw.dataLength as number;
  if (!Number.isSafeInteger(dataLength) || dataLength < 0) problems.push(`bad data length ${String(dataLength)}`);
  const entries = (raw.tensors ?? []) as Obj[];
  if (entries.length > MAX_TENSORS) problems.push(`too many tensors (${entries.length})`);
  const tensors: TensorInfo[] = [];
  const names = new Set<string>();
  let end = 0;
  for (const e of entries.slice(0, MAX_TENSORS)) {
    const name = String(e.name ?? '');
    const shape = (e.shape ?? []) as number[];
    const dtype = enumOf(DTYPES, e.dtype, `dtype of tensor "${name}"`);
    const offset = e.offset as number;
    const byteLength = e.byteLength as number;
    if (!name || name.length > 512 || names.has(name)) problems.push(`tensor name "${name.slice(0, 80)}" is empty, too long or repeated`);
    names.add(name);
    if (shape.length > MAX_RANK) problems.push(`tensor ${name} has rank ${shape.length}`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (dtype && byteLength !== numel * DTYPE_BYTES[dtype]) problems.push(`tensor ${name}: ${byteLength} bytes do not match its shape`);
    if (!Number.isSafeInteger(offset) || offset % TENSOR_ALIGNMENT !== 0 || offset < end) {
      problems.push(`tensor ${name}: offset ${offset} is unaligned or overlaps the previous tensor`);
    } else end = offset + byteLength;
    if (end > dataLength) problems.push(`tensor ${name} extends past the data section`);
    tensors.push({ name, shape, dtype, offset, byteLength, crc32: (e.crc32 as number) >>> 0 });
    if (problems.length > 20) break;
  }
  if (problems.length > 0) throw new WeightsFormatError(`invalid header: ${problems.slice(0, 20).join('; ')}`);
  const source = raw.source as Obj | undefined;
  return {
    config,
    tensors,
    dataLength,
    source: source ? { fileName: String(source.fileName ?? ''), format: String(source.format ?? ''), converter: String(source.converter ?? '') } : undefined,
  };
}

/** Places tensors in the data section (in the given order, each 64-byte aligned). */
export function layoutTensors(
  specs: readonly { name: string; shape: readonly number[]; dtype: WeightsDType }[],
): { tensors: TensorInfo[]; dataLength: number } {
  let offset = 0;
  const tensors = specs.map((s) => {
    const byteLength = s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype];
    const t: TensorInfo = { name: s.name, shape: [...s.shape], dtype: s.dtype, offset, byteLength, crc32: 0 };
    offset = alignUp(offset + byteLength);
    return t;
  });
  return { tensors, dataLength: offset };
}

/** Whole-file header bytes: preamble + header + zero padding up to the data section. */
export function encodeFileHead(header: WeightsHeader): Uint8Array {
  const body = encodeHeader(header);
  const out = new Uint8Array(dataStartFor(body.length));
  out.set(encodePreamble(body.length));
  out.set(body, PREAMBLE_BYTES);
  return out;
}
