import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../src/errors';
import { DEFAULT_MODEL_CONFIG } from '../../src/weights/config';
import { crc32 } from '../../src/weights/crc32';
import { f16BitsFromF32Bits, f32FromF16Bits } from '../../src/weights/f16';
import {
  decodeHeader,
  encodeFileHead,
  encodeHeader,
  layoutTensors,
  parsePreamble,
  PREAMBLE_BYTES,
  TENSOR_ALIGNMENT,
  type WeightsHeader,
} from '../../src/weights/format';
import { errorOf } from '../harness/error-of';

const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const toF16 = (x: number) => f16BitsFromF32Bits(bitsOf(x));


describe('f16 conversion (round to nearest even)', () => {
  it('matches known half-precision encodings', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00], // rounds up to infinity
      [Infinity, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie → even (0)
      [3 * 2 ** -25, 0x0002], // tie → even (2)
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -25, 0x0400], // subnormal rounding carries into the exponent
      [1 + 2 ** -11, 0x3c00], // tie → even
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
      [1e-9, 0x0000],
    ];
    for (const [x, h] of cases) expect(toF16(x), `f16(${x})`).toBe(h);
    expect(f32FromF16Bits(toF16(NaN))).toBeNaN();
  });

  it('every finite half value survives f16 → f32 → f16', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f32FromF16Bits(h);
      if (Number.isNaN(x)) continue;
      expect(f16BitsFromF32Bits(bitsOf(x))).toBe(h);
    }
  });
});

describe('.dhw header', () => {
  const header = (): WeightsHeader => {
    const layout = layoutTensors([
      { name: 'a.weight', shape: [4, 3, 3, 3], dtype: 'f16' },
      { name: 'a.bias', shape: [4], dtype: 'f32' },
      { name: 'empty', shape: [0], dtype: 'f32' },
    ]);
    return { config: DEFAULT_MODEL_CONFIG, tensors: layout.tensors.map((t, i) => ({ ...t, crc32: i * 0x10000001 })), dataLength: layout.dataLength };
  };

  it('CRC-32 is the zip polynomial', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips the config and tensor table; tensors are 64-byte aligned', () => {
    const h = header();
    const head = encodeFileHead(h);
    expect(head.length % TENSOR_ALIGNMENT).toBe(0);
    const pre = parsePreamble(head);
    const decoded = decodeHeader(head.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + pre.headerLength));
    expect(decoded.config).toEqual(DEFAULT_MODEL_CONFIG);
    expect(decoded.tensors).toEqual(h.tensors);
    expect(decoded.tensors.every((t) => t.offset % TENSOR_ALIGNMENT === 0)).toBe(true);
  });

  it('an unknown format version is refused with a clear message', () => {
    const head = encodeFileHead(header());
    new DataView(head.buffer).setUint32(4, 7, true);
    const error = errorOf(() => parsePreamble(head));
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect(error.message).toMatch(/format version 7 is not supported \(this engine reads version 2\); update the engine/);
  });

  it('wrong magic, bad header length, corrupt or inconsistent headers are WeightsFormatErrors', () => {
    expect(errorOf(() => parsePreamble(new TextEncoder().encode('PK\x03\x04xxxxxxxxxx')))).toBeInstanceOf(WeightsFormatError);
    const head = encodeFileHead(header());
    const big = head.slice();
    new DataView(big.buffer).setUint32(8, 0xffffffff, true);
    expect(errorOf(() => parsePreamble(big)).message).toMatch(/header length/);
    expect(errorOf(() => decodeHeader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])))).toBeInstanceOf(WeightsFormatError);
    const h = header();
    const overlapping = { ...h, tensors: [h.tensors[0], { ...h.tensors[1], offset: 0 }] };
    expect(errorOf(() => decodeHeader(encodeHeader(overlapping))).message).toMatch(/offset 0 is not the next aligned position 256/);
    const badShape = { ...h, tensors: [{ ...h.tensors[0], shape: [4, 3, 3, 4] }] };
    expect(errorOf(() => decodeHeader(encodeHeader(badShape))).message).toMatch(/do not match its shape/);
    const badConfig = { ...h, config: { ...h.config, head: { ...h.config.head, channels: 250 } } };
    expect(errorOf(() => decodeHeader(encodeHeader(badConfig))).message).toMatch(/multiple of head.gnGroups/);
  });
});
