/**
 * Incremental `.dhw` parser: fed pieces of the file in order, it parses the header as soon as it
 * is complete, then routes each tensor's bytes to a sink writer (checking its CRC on the way) and
 * drops them. It keeps only the header bytes, never tensor data.
 */
import { WeightsFormatError } from '../errors';
import { crc32Update } from './crc32';
import {
  assertZeroPadding,
  decodeHeader,
  parsePreamble,
  PREAMBLE_BYTES,
  verifyHeaderChecksum,
  type Preamble,
  type TensorInfo,
  type WeightsHeader,
} from './format';
import type { TensorSink, TensorWriter } from './sink';

export class WeightsStreamParser<T> {
  /** Bytes consumed so far. */
  position = 0;
  header: WeightsHeader | undefined;
  readonly tensors = new Map<string, T>();
  private preamble: Preamble | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private index = 0;
  private writer: TensorWriter<T> | undefined;
  private written = 0;
  private crc = 0;

  constructor(
    private readonly sink: TensorSink<T>,
    private readonly options: { verify?: boolean; expectedTotal?: number } = {},
  ) {}

  /** File size declared by the header (known once the header is parsed). */
  get total(): number | undefined {
    return this.header && this.preamble ? this.preamble.dataStart + this.header.dataLength : undefined;
  }

  get done(): boolean {
    return this.total !== undefined && this.position === this.total;
  }

  /** Consumes one piece; resolves once the sink has taken what it needs from it. */
  async push(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (!this.header) {
        at += await this.takeHeaderBytes(chunk.subarray(at));
        continue;
      }
      const total = this.total as number;
      if (this.position >= total) {
        throw new WeightsFormatError(`${chunk.length - at} unexpected bytes after the declared end (${total} bytes)`);
      }
      const dataStart = (this.preamble as Preamble).dataStart;
      const info: TensorInfo | undefined = this.header.tensors[this.index];
      if (!info) {
        // trailing padding of the data section
        const n = Math.min(chunk.length - at, total - this.position);
        assertZeroPadding(chunk.subarray(at, at + n), this.position, 'padding at the end of the data section');
        at += n;
        this.position += n;
        continue;
      }
      const begin = dataStart + info.offset;
      if (this.position < begin) {
        // padding after the header or between tensors: zero, as written
        const n = Math.min(chunk.length - at, begin - this.position);
        assertZeroPadding(chunk.subarray(at, at + n), this.position, this.index === 0 ? 'padding after the header' : `padding after tensor ${this.header.tensors[this.index - 1]!.name}`);
        at += n;
        this.position += n;
        continue;
      }
      if (!this.writer) {
        this.writer = this.sink.open(info);
        this.written = 0;
        this.crc = 0;
      }
      const n = Math.min(chunk.length - at, info.byteLength - this.written);
      const piece = chunk.subarray(at, at + n);
      if (this.options.verify !== false) this.crc = crc32Update(this.crc, piece);
      this.writer.write(piece);
      this.written += n;
      at += n;
      this.position += n;
      if (this.written === info.byteLength) this.finishTensor(info);
    }
  }

  /** The stream ended: everything declared must have arrived. */
  async end(): Promise<void> {
    if (!this.header) {
      throw new WeightsFormatError(`truncated: the file ended after ${this.position} bytes, inside its header`);
    }
    // zero-length tensors at the very end have no bytes to trigger them
    while (this.index < this.header.tensors.length && this.header.tensors[this.index].byteLength === 0) {
      this.writer = this.sink.open(this.header.tensors[this.index]);
      this.written = 0;
      this.crc = 0;
      this.finishTensor(this.header.tensors[this.index]);
    }
    if (!this.done || this.index < this.header.tensors.length) {
      throw new WeightsFormatError(`truncated: got ${this.position} of ${this.total} bytes`);
    }
    await this.sink.end?.();
  }

  private finishTensor(info: TensorInfo): void {
    if (this.options.verify !== false && this.crc !== info.crc32) {
      throw new WeightsFormatError(`tensor ${info.name} is corrupt (CRC mismatch)`);
    }
    this.tensors.set(info.name, (this.writer as TensorWriter<T>).finish());
    this.writer = undefined;
    this.index++;
  }

  /** Buffers preamble + header bytes; returns how many bytes of `chunk` it used. */
  private async takeHeaderBytes(chunk: Uint8Array): Promise<number> {
    const needed = this.preamble ? PREAMBLE_BYTES + this.preamble.headerLength : PREAMBLE_BYTES;
    const n = Math.min(chunk.length, needed - this.pendingBytes);
    this.pending.push(chunk.slice(0, n));
    this.pendingBytes += n;
    this.position += n;
    if (this.pendingBytes < needed) return n;
    const bytes = concat(this.pending, this.pendingBytes);
    if (!this.preamble) {
      this.preamble = parsePreamble(bytes);
      const expected = this.options.expectedTotal;
      if (expected !== undefined && expected < this.preamble.dataStart) {
        throw new WeightsFormatError(`truncated: the file has ${expected} bytes but its header alone needs ${this.preamble.dataStart}`);
      }
      this.pending = [bytes];
      return n;
    }
    const body = bytes.subarray(PREAMBLE_BYTES);
    verifyHeaderChecksum(bytes, this.preamble, body);
    this.header = decodeHeader(body);
    this.pending = [];
    const total = this.total as number;
    const expected = this.options.expectedTotal;
    if (expected !== undefined && expected !== total) {
      throw new WeightsFormatError(
        expected < total ? `truncated: the file has ${expected} of ${total} bytes` : `the file has ${expected - total} bytes more than its header declares`,
      );
    }
    await this.sink.begin?.(this.header);
    return n;
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
