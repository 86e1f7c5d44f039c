/**
 * Upgrades a `.dhw` file to the current format version without touching its tensors: the header
 * bytes and the data section are copied verbatim, only the preamble (now with the header
 * checksum) and the padding are written anew. Used for files converted before version 2, when the
 * original checkpoint is not at hand; every tensor's CRC is checked before anything is written.
 */
import { InvalidArgumentError, WeightsFormatError } from '../errors';
import { crc32 } from './crc32';
import {
  alignUp,
  classNameProblems,
  dataStartFor,
  decodeHeader,
  encodeHeader,
  encodePreamble,
  MAX_HEADER_BYTES,
  PREAMBLE_BYTES,
  readFileHead,
  WEIGHTS_FORMAT_VERSION,
  WEIGHTS_MAGIC,
  type WeightsHeader,
} from './format';

/** Version 1's preamble: magic, version, header length (no checksum). */
const V1_PREAMBLE_BYTES = 12;

export interface ReencodeResult {
  readonly bytes: Uint8Array;
  readonly fromVersion: number;
  readonly header: WeightsHeader;
}

/**
 * `classNames` replaces the recorded class names (the header is then encoded anew; the data
 * section is still copied verbatim).
 */
export function reencodeWeights(file: Uint8Array, options: { readonly classNames?: readonly string[] } = {}): ReencodeResult {
  if (file.length < V1_PREAMBLE_BYTES || String.fromCharCode(...file.subarray(0, 4)) !== WEIGHTS_MAGIC) {
    throw new WeightsFormatError('not a dynamic-head weights file');
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint32(4, true);
  let body: Uint8Array;
  let dataStart: number;
  if (version === 1) {
    const length = view.getUint32(8, true);
    if (length === 0 || length > MAX_HEADER_BYTES || V1_PREAMBLE_BYTES + length > file.length) throw new WeightsFormatError(`bad header length ${length}`);
    body = file.subarray(V1_PREAMBLE_BYTES, V1_PREAMBLE_BYTES + length);
    dataStart = alignUp(V1_PREAMBLE_BYTES + length);
  } else if (version === WEIGHTS_FORMAT_VERSION) {
    const { preamble } = readFileHead(file);
    body = file.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + preamble.headerLength);
    dataStart = preamble.dataStart;
  } else {
    throw new WeightsFormatError(`cannot upgrade format version ${version}`);
  }
  let header = decodeHeader(body);
  if (options.classNames) {
    const problems = classNameProblems(options.classNames, header.config.head.numClasses);
    if (problems.length > 0) throw new InvalidArgumentError('class names', problems.join('; '));
    header = { ...header, classNames: [...options.classNames] };
    body = encodeHeader(header);
  }
  const data = file.subarray(dataStart);
  if (data.length !== header.dataLength) {
    throw new WeightsFormatError(`the data section has ${data.length} bytes, the header declares ${header.dataLength}`);
  }
  for (const t of header.tensors) {
    if (crc32(data.subarray(t.offset, t.offset + t.byteLength)) !== t.crc32) throw new WeightsFormatError(`tensor ${t.name} is corrupt (CRC mismatch)`);
  }
  const newStart = dataStartFor(body.length);
  const out = new Uint8Array(newStart + data.length);
  out.set(encodePreamble(body));
  out.set(body, PREAMBLE_BYTES);
  out.set(data, newStart);
  readFileHead(out); // what the loader will see
  return { bytes: out, fromVersion: version, header };
}
