/**
 * The protobuf wire format, just what the weights header needs (varints, 64- and 32-bit fixed
 * values, length-delimited fields), written by hand so that decoding runs under a strict
 * Content-Security-Policy: no generated code, no `Function`, no WebAssembly. Every malformed
 * input ends in a `ProtobufWireError` that says what was wrong and at which byte.
 */

export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export class ProtobufWireError extends Error {
  override name = 'ProtobufWireError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Reads one message's bytes front to back. */
export class WireReader {
  private at: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
    /** Offset of `bytes[0]` in the whole header, for error messages. */
    private readonly base = 0,
  ) {
    this.at = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.at >= this.end;
  }

  /** Byte position in the header (for messages). */
  get position(): number {
    return this.base + this.at;
  }

  fail(problem: string): never {
    throw new ProtobufWireError(`${problem} at byte ${this.position}`);
  }

  /** A field key: number and wire type. */
  key(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0 || field > 0x1fffffff) this.fail(`invalid field number ${field}`);
    return { field, wire };
  }

  /** An unsigned varint, exact up to 2^53 − 1 (larger values are refused, not rounded). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) this.fail('truncated varint');
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > Number.MAX_SAFE_INTEGER) this.fail(`varint ${value} exceeds 2^53`);
        return value;
      }
      scale *= 128;
    }
    this.fail('varint longer than 10 bytes');
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  /** The extent of a length-delimited field: [start, end) within these bytes. */
  lengthDelimited(): { start: number; end: number } {
    const length = this.varint();
    this.need(length, `${length}-byte field`);
    const start = this.at;
    this.at += length;
    return { start, end: this.at };
  }

  string(): string {
    const { start, end } = this.lengthDelimited();
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      this.fail('invalid UTF-8 in a string');
    }
  }

  /** A reader over a nested message's bytes. */
  nested(): WireReader {
    const { start, end } = this.lengthDelimited();
    return new WireReader(this.bytes, start, end, this.base);
  }

  /** Skips a field of an unknown number (newer writers may add fields). */
  skip(wire: number): void {
    if (wire === WireType.Varint) this.varint();
    else if (wire === WireType.Fixed64) this.need(8, 'fixed64', true);
    else if (wire === WireType.LengthDelimited) this.lengthDelimited();
    else if (wire === WireType.Fixed32) this.need(4, 'fixed32', true);
    else this.fail(`unsupported wire type ${wire}`);
  }

  private need(n: number, what: string, consume = false): void {
    if (this.end - this.at < n) this.fail(`truncated ${what} (${this.end - this.at} bytes left)`);
    if (consume) this.at += n;
  }
}

/** Appends fields to a growing buffer. */
export class WireWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  key(field: number, wire: WireType): void {
    this.varint(field * 8 + wire);
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as an unsigned varint`);
    this.reserve(10);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  fixed32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  double(value: number): void {
    this.reserve(8);
    new DataView(this.buffer.buffer).setFloat64(this.length, value, true);
    this.length += 8;
  }

  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  string(value: string): void {
    this.bytes(utf8Encoder.encode(value));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
