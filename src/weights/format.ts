/**
 * The `.dhw` weights file: magic, format version, header length, header CRC-32, protobuf header
 * (model config + tensor table), then 64-byte aligned raw tensors. Every tensor's position is known once the
 * header has arrived, so a loader can hand each tensor's bytes to the GPU as they stream in.
 */
import { WeightsFormatError } from '../errors';
import { configProblems, type GateActivation, type HeadKind, type ModelConfig, type TopBlockInput } from './config';
import { crc32Update } from './crc32';
import { WEIGHTS_HEADER_SCHEMA } from './header-schema';
import { decodeMessage, encodeMessage, type DecodedMessage } from './protobuf-message';

export const WEIGHTS_MAGIC = 'DHWF';
/**
 * 2: the preamble carries a CRC-32 over itself and the header (version 1 had none, so one flipped
 * header bit could change results silently); version 1 files are refused with a message saying
 * how to upgrade them.
 */
export const WEIGHTS_FORMAT_VERSION = 2;
/** magic + version + header length + header CRC-32 */
export const PREAMBLE_BYTES = 16;
/** Alignment of the data section and of every tensor in it. */
export const TENSOR_ALIGNMENT = 64;
export const MAX_HEADER_BYTES = 64 << 20;
const MAX_TENSORS = 100_000;
const MAX_RANK = 8;
const MAX_NAME_LENGTH = 512;
/** Bytes of the preamble the header checksum covers (all of it but the checksum itself). */
const CHECKED_PREAMBLE_BYTES = 12;

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
  /** Class names by class id (`head.numClasses` of them), when the converter recorded them. */
  readonly classNames?: readonly string[];
}

export interface Preamble {
  readonly version: number;
  readonly headerLength: number;
  /** CRC-32 of preamble bytes 0–11 followed by the header bytes. */
  readonly headerCrc32: number;
  /** File offset of the data section. */
  readonly dataStart: number;
}

export const alignUp = (n: number, a = TENSOR_ALIGNMENT): number => Math.ceil(n / a) * a;

export function dataStartFor(headerLength: number): number {
  return alignUp(PREAMBLE_BYTES + headerLength);
}

/** The CRC the preamble must carry for these header bytes. */
export function headerChecksum(preamble: Uint8Array, header: Uint8Array): number {
  return crc32Update(crc32Update(0, preamble.subarray(0, CHECKED_PREAMBLE_BYTES)), header);
}

/** The 16 preamble bytes for an encoded header (magic, version, length, checksum). */
export function encodePreamble(header: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  for (let i = 0; i < 4; i++) out[i] = WEIGHTS_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(4, WEIGHTS_FORMAT_VERSION, true);
  view.setUint32(8, header.length, true);
  view.setUint32(12, headerChecksum(out, header), true);
  return out;
}

/** Checks magic, version and header length of the first 16 bytes. */
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
  if (version === 1) {
    throw new WeightsFormatError(
      `format version 1 is no longer read: it has no header checksum (this engine reads version ${WEIGHTS_FORMAT_VERSION}); ` +
        're-convert the checkpoint with `dynamic-head convert`, or upgrade the file, keeping its tensors, with ' +
        '`node scripts/reencode-weights.mjs OLD.dhw NEW.dhw` (every tensor byte is kept)',
    );
  }
  if (version !== WEIGHTS_FORMAT_VERSION) {
    throw new WeightsFormatError(
      `format version ${version} is not supported (this engine reads version ${WEIGHTS_FORMAT_VERSION}); ` +
        (version > WEIGHTS_FORMAT_VERSION ? 'update the engine' : 're-convert the checkpoint'),
    );
  }
  const headerLength = view.getUint32(8, true);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES) {
    throw new WeightsFormatError(`bad header length ${headerLength} (must be 1..${MAX_HEADER_BYTES}); the file is corrupt`);
  }
  return { version, headerLength, headerCrc32: view.getUint32(12, true), dataStart: dataStartFor(headerLength) };
}

/** Refuses header bytes whose CRC-32 differs from the preamble's. */
export function verifyHeaderChecksum(preambleBytes: Uint8Array, preamble: Preamble, header: Uint8Array): void {
  const actual = headerChecksum(preambleBytes, header);
  if (actual !== preamble.headerCrc32) {
    throw new WeightsFormatError(
      `header checksum mismatch (CRC-32 ${hex(actual)}, the preamble says ${hex(preamble.headerCrc32)}): ` +
        'the header is corrupt; download or convert the file again',
    );
  }
}

/** Refuses padding (between the header and the data, or between tensors) that is not zero. */
export function assertZeroPadding(bytes: Uint8Array, fileOffset: number, what: string): void {
  const i = bytes.findIndex((b) => b !== 0);
  if (i >= 0) throw new WeightsFormatError(`non-zero byte 0x${bytes[i]!.toString(16)} in the ${what} at file offset ${fileOffset + i}: the file is corrupt`);
}

/** Preamble, checksum, header and the padding up to the data section of a whole-file head. */
export function readFileHead(bytes: Uint8Array): { preamble: Preamble; header: WeightsHeader } {
  const preamble = parsePreamble(bytes);
  if (bytes.length < preamble.dataStart) throw new WeightsFormatError(`truncated: the header needs ${preamble.dataStart} bytes, got ${bytes.length}`);
  const body = bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + preamble.headerLength);
  verifyHeaderChecksum(bytes, preamble, body);
  const headerEnd = PREAMBLE_BYTES + preamble.headerLength;
  assertZeroPadding(bytes.subarray(headerEnd, preamble.dataStart), headerEnd, 'padding after the header');
  return { preamble, header: decodeHeader(body) };
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

const HEAD_KINDS: Record<string, HeadKind> = { DYNAMIC: 'dynamic', FIXED: 'fixed', FCOS: 'fcos' };
const GATES: Record<string, GateActivation> = { GERETANH: 'geretanh', RETANH: 'retanh', SIGMOID: 'sigmoid' };
const TOP_INPUTS: Record<string, TopBlockInput> = { C5: 'c5', P5: 'p5' };
const DTYPES: Record<string, WeightsDType> = { F32: 'f32', F16: 'f16' };
const upper = (v: string) => v.toUpperCase();

/** The protobuf `WeightsHeader` bytes (no preamble). */
export function encodeHeader(header: WeightsHeader): Uint8Array {
  const c = header.config;
  return encodeMessage(
    {
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
      classNames: header.classNames ?? [],
    },
    WEIGHTS_HEADER_SCHEMA,
  );
}

type Obj = DecodedMessage;
const SECTIONS = ['backbone', 'fpn', 'head', 'input', 'test'] as const;

/**
 * Decodes and validates a header (the `headerLength` bytes after the preamble; the caller checks
 * the checksum, see `readFileHead`). Every problem found is named in one `WeightsFormatError`.
 */
export function decodeHeader(bytes: Uint8Array): WeightsHeader {
  let raw: Obj;
  try {
    raw = decodeMessage(bytes, WEIGHTS_HEADER_SCHEMA);
  } catch (e) {
    throw new WeightsFormatError(`corrupt header: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  const rc = raw.config as Obj | undefined;
  const section = (k: (typeof SECTIONS)[number]) => {
    const s = rc?.[k] as Obj | undefined;
    if (rc && !s) problems.push(`the model config has no ${k} section`);
    return s ?? {};
  };
  const enumOf = <T>(table: Record<string, T>, v: unknown, what: string): T => {
    const r = typeof v === 'string' ? table[v] : undefined;
    if (r === undefined) problems.push(`${what} is ${String(v)}, not one of ${Object.keys(table).join(', ')}`);
    return r as T;
  };
  const fpn = section('fpn');
  const head = section('head');
  const config = {
    architecture: String(rc?.architecture ?? ''),
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
  if (!rc) problems.push('the header has no model config');
  else if (problems.length === 0) problems.push(...configProblems(config));

  const dataLength = raw.dataLength as number;
  const entries = raw.tensors as readonly Obj[];
  if (entries.length === 0) problems.push('the header lists no tensors');
  if (entries.length > MAX_TENSORS) problems.push(`too many tensors (${entries.length})`);
  const tensors: TensorInfo[] = [];
  const names = new Set<string>();
  let end = 0;
  for (const e of entries.slice(0, MAX_TENSORS)) {
    const name = e.name as string;
    const shape = e.shape as number[];
    const dtype = enumOf(DTYPES, e.dtype, `dtype of tensor "${name.slice(0, 80)}"`);
    const offset = e.offset as number;
    const byteLength = e.byteLength as number;
    if (!name || name.length > MAX_NAME_LENGTH || names.has(name)) problems.push(`tensor name "${name.slice(0, 80)}" is empty, too long or repeated`);
    names.add(name);
    if (shape.length > MAX_RANK) problems.push(`tensor ${name} has rank ${shape.length} (at most ${MAX_RANK})`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (dtype && byteLength !== numel * DTYPE_BYTES[dtype]) problems.push(`tensor ${name}: ${byteLength} bytes do not match its shape [${shape.join(', ')}] (${dtype})`);
    // Tensors are packed in file order, each at the next 64-byte boundary.
    const expectedOffset = alignUp(end);
    if (offset !== expectedOffset) problems.push(`tensor ${name}: offset ${offset} is not the next aligned position ${expectedOffset}`);
    end = Math.max(end, offset) + byteLength;
    if (e.crc32 === undefined) problems.push(`tensor ${name} has no CRC-32`);
    tensors.push({ name, shape, dtype, offset, byteLength, crc32: (e.crc32 as number | undefined) ?? 0 });
    if (problems.length > 20) break;
  }
  if (problems.length === 0 && dataLength !== alignUp(end)) {
    problems.push(`data length ${dataLength} does not match the tensor table (which ends at ${end}, ${alignUp(end)} with padding)`);
  }
  const classNames = raw.classNames as readonly string[];
  if (classNames.length > 0) problems.push(...classNameProblems(classNames, config.head?.numClasses));
  if (problems.length > 0) throw new WeightsFormatError(`invalid header: ${problems.slice(0, 20).join('; ')}`);
  const source = raw.source as Obj | undefined;
  return {
    config,
    tensors,
    dataLength,
    source: source ? { fileName: source.fileName as string, format: source.format as string, converter: source.converter as string } : undefined,
    ...(classNames.length > 0 ? { classNames: [...classNames] } : {}),
  };
}

/** At most this many characters per class name. */
export const MAX_CLASS_NAME_LENGTH = 256;

/** What is wrong with a list of class names for a model of `numClasses` classes (empty: nothing). */
export function classNameProblems(names: readonly string[], numClasses: number | undefined): string[] {
  const problems: string[] = [];
  if (names.length !== numClasses) problems.push(`${names.length} class names for ${numClasses} classes`);
  const bad = names.findIndex((n) => n.trim().length === 0 || n.length > MAX_CLASS_NAME_LENGTH);
  if (bad >= 0) problems.push(`class name ${bad} is empty or longer than ${MAX_CLASS_NAME_LENGTH} characters`);
  return problems;
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
  out.set(encodePreamble(body));
  out.set(body, PREAMBLE_BYTES);
  return out;
}
