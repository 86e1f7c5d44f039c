/**
 * Schema-driven protobuf (proto3) encoding and decoding of plain objects. A schema is a data
 * table (see header-schema.ts), not generated code, so the same few functions handle every
 * message and nothing is compiled at run time. Decoded objects look like protobufjs's
 * `toObject(..., { defaults: true, enums: String, longs: Number, arrays: true })`: camelCase keys,
 * proto3 defaults filled in, enum values as their names (an unknown number stays a number),
 * absent sub-messages `undefined`.
 */
import { ProtobufWireError, WireReader, WireType, WireWriter } from './protobuf-wire';

export type ScalarType = 'uint32' | 'uint64' | 'double' | 'bool' | 'string' | 'fixed32';

export interface EnumSpec {
  readonly kind: 'enum';
  readonly name: string;
  /** Value names by number. */
  readonly values: Readonly<Record<number, string>>;
}

export interface MessageSpec {
  readonly kind: 'message';
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

export interface FieldSpec {
  /** camelCase, as the key of the decoded object. */
  readonly name: string;
  readonly id: number;
  readonly type: ScalarType | EnumSpec | MessageSpec;
  readonly repeated?: boolean;
  /** proto3 `optional`: explicit presence (absent decodes as `undefined`, a 0 is still written). */
  readonly optional?: boolean;
}

export type DecodedValue = number | string | boolean | DecodedMessage | undefined | readonly (number | string | boolean | DecodedMessage)[];
export interface DecodedMessage {
  readonly [field: string]: DecodedValue;
}

const MAX_U32 = 0xffffffff;

function wireOf(type: FieldSpec['type']): number {
  if (typeof type !== 'string') return type.kind === 'enum' ? WireType.Varint : WireType.LengthDelimited;
  switch (type) {
    case 'double':
      return WireType.Fixed64;
    case 'fixed32':
      return WireType.Fixed32;
    case 'string':
      return WireType.LengthDelimited;
    default:
      return WireType.Varint;
  }
}

function defaultOf(field: FieldSpec): DecodedValue {
  if (field.repeated) return [];
  if (field.optional) return undefined;
  const t = field.type;
  if (typeof t !== 'string') return t.kind === 'enum' ? (t.values[0] ?? 0) : undefined;
  return t === 'string' ? '' : t === 'bool' ? false : 0;
}

/** Where a decode failed: `WeightsHeader.tensors[17].shape`. */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
  constructor(
    readonly problem: string,
    readonly path: string,
  ) {
    super(`${problem} (in ${path})`);
  }
}

/** Decodes a whole message from `bytes`. */
export function decodeMessage(bytes: Uint8Array, spec: MessageSpec): DecodedMessage {
  return readMessage(new WireReader(bytes), spec, spec.name);
}

function readMessage(reader: WireReader, spec: MessageSpec, path: string): DecodedMessage {
  const out: Record<string, DecodedValue> = {};
  for (const field of spec.fields) out[field.name] = defaultOf(field);
  const byId = new Map(spec.fields.map((f) => [f.id, f]));
  while (!reader.done) {
    let key: { field: number; wire: number };
    try {
      key = reader.key();
    } catch (error) {
      throw located(error, path);
    }
    const field = byId.get(key.field);
    if (!field) {
      try {
        reader.skip(key.wire);
      } catch (error) {
        throw located(error, `${path}.<field ${key.field}>`);
      }
      continue;
    }
    const list = out[field.name] as (number | string | boolean | DecodedMessage)[];
    const fieldPath = field.repeated ? `${path}.${field.name}[${list.length}]` : `${path}.${field.name}`;
    try {
      const expected = wireOf(field.type);
      const packable = field.repeated && expected !== WireType.LengthDelimited;
      if (packable && key.wire === WireType.LengthDelimited) {
        const packed = reader.nested();
        while (!packed.done) list.push(readScalar(packed, field) as number | boolean);
        continue;
      }
      if (key.wire !== expected) reader.fail(`wire type ${key.wire} where ${expected} was expected`);
      const value =
        typeof field.type !== 'string' && field.type.kind === 'message'
          ? readMessage(reader.nested(), field.type, fieldPath)
          : readScalar(reader, field);
      if (field.repeated) list.push(value);
      else out[field.name] = value;
    } catch (error) {
      throw located(error, fieldPath);
    }
  }
  return out;
}

function readScalar(reader: WireReader, field: FieldSpec): number | string | boolean {
  const t = field.type;
  if (typeof t !== 'string') {
    const n = reader.varint();
    if (n > MAX_U32) reader.fail(`enum value ${n} out of range`);
    return t.kind === 'enum' ? (t.values[n] ?? n) : n;
  }
  switch (t) {
    case 'uint32': {
      const n = reader.varint();
      if (n > MAX_U32) reader.fail(`uint32 value ${n} exceeds 32 bits`);
      return n;
    }
    case 'uint64':
      return reader.varint();
    case 'bool': {
      const n = reader.varint();
      if (n > 1) reader.fail(`bool value ${n} is neither 0 nor 1`);
      return n === 1;
    }
    case 'double':
      return reader.double();
    case 'fixed32':
      return reader.fixed32();
    case 'string':
      return reader.string();
  }
}

function located(error: unknown, path: string): Error {
  if (error instanceof ProtobufDecodeError) return error;
  if (error instanceof ProtobufWireError) return new ProtobufDecodeError(error.message, path);
  return error instanceof Error ? error : new Error(String(error));
}

type EncodableMessage = Readonly<Record<string, unknown>>;

/** Encodes a plain object (fields named as in the spec; enums by name or number; other keys ignored). */
export function encodeMessage(message: object, spec: MessageSpec): Uint8Array {
  const writer = new WireWriter();
  writeMessage(writer, message as EncodableMessage, spec, spec.name);
  return writer.finish();
}

function writeMessage(writer: WireWriter, message: EncodableMessage, spec: MessageSpec, path: string): void {
  for (const field of [...spec.fields].sort((a, b) => a.id - b.id)) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const fieldPath = `${path}.${field.name}`;
    const t = field.type;
    if (typeof t !== 'string' && t.kind === 'message') {
      const items = field.repeated ? (value as readonly EncodableMessage[]) : [value as EncodableMessage];
      for (const item of items) {
        const nested = new WireWriter();
        writeMessage(nested, item, t, fieldPath);
        writer.key(field.id, WireType.LengthDelimited);
        writer.bytes(nested.finish());
      }
      continue;
    }
    if (field.repeated) {
      const items = value as readonly unknown[];
      if (!Array.isArray(items)) throw new TypeError(`${fieldPath} must be an array`);
      if (items.length === 0) continue;
      if (t === 'string') {
        for (const item of items) {
          writer.key(field.id, WireType.LengthDelimited);
          writer.string(String(item));
        }
      } else {
        const packed = new WireWriter();
        for (const item of items) writeScalar(packed, item, field, fieldPath);
        writer.key(field.id, WireType.LengthDelimited);
        writer.bytes(packed.finish());
      }
      continue;
    }
    if (!field.optional && isDefault(value)) continue;
    writer.key(field.id, wireOf(t) as WireType);
    writeScalar(writer, value, field, fieldPath);
  }
}

function isDefault(value: unknown): boolean {
  return value === 0 || value === false || value === '';
}

function writeScalar(writer: WireWriter, value: unknown, field: FieldSpec, path: string): void {
  const t = field.type;
  if (typeof t !== 'string') {
    const spec = t as EnumSpec;
    const n = typeof value === 'number' ? value : Number(Object.entries(spec.values).find(([, name]) => name === value)?.[0] ?? NaN);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${path}: ${String(value)} is not a ${spec.name} value`);
    writer.varint(n);
    return;
  }
  const number = (lo: number, hi: number): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
      throw new RangeError(`${path}: ${String(value)} is not a ${t}`);
    }
    return value;
  };
  switch (t) {
    case 'uint32':
      writer.varint(number(0, MAX_U32));
      return;
    case 'uint64':
      writer.varint(number(0, Number.MAX_SAFE_INTEGER));
      return;
    case 'fixed32':
      writer.fixed32(number(0, MAX_U32));
      return;
    case 'bool':
      writer.varint(value ? 1 : 0);
      return;
    case 'double':
      if (typeof value !== 'number') throw new RangeError(`${path}: ${String(value)} is not a number`);
      writer.double(value);
      return;
    case 'string':
      writer.string(String(value));
      return;
  }
}
