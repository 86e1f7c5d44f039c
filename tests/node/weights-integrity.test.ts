import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../src/errors';
import { DEFAULT_MODEL_CONFIG, withOverrides, type ModelConfig } from '../../src/weights/config';
import { convertCheckpoint } from '../../src/weights/convert';
import {
  decodeHeader,
  encodeFileHead,
  encodeHeader,
  PREAMBLE_BYTES,
  readFileHead,
  type WeightsHeader,
} from '../../src/weights/format';
import { WEIGHTS_HEADER_SCHEMA } from '../../src/weights/header-schema';
import { loadWeights } from '../../src/weights/loader';
import type { FieldSpec, MessageSpec } from '../../src/weights/protobuf-message';
import { reencodeWeights } from '../../src/weights/reencode';
import type { TensorSink } from '../../src/weights/sink';
import { WeightsStreamParser } from '../../src/weights/stream-parser';
import { fixture, rng } from './weights-helpers';
import { errorOf } from '../harness/error-of';

const root = path.resolve(__dirname, '../..');
const defaultFile = new Uint8Array(readFileSync(path.join(root, 'weights/default/model.dhw')));
const protoRoot = protobuf.parse(readFileSync(path.join(root, 'weights/dynamic_head.proto'), 'utf8')).root;
const protoHeader = protoRoot.lookupType('dynamichead.weights.WeightsHeader');

/** Takes tensor bytes and drops them. */
const discard: TensorSink<null> = { open: () => ({ write: () => undefined, finish: () => null }) };

/** What the streaming loader makes of `file`: 'loaded' or the error it threw. */
async function outcome(head: Uint8Array, data: Uint8Array): Promise<'loaded' | Error> {
  const parser = new WeightsStreamParser(discard);
  try {
    await parser.push(head);
    await parser.push(data);
    await parser.end();
    return 'loaded';
  } catch (error) {
    return error as Error;
  }
}


/** The header with a config edit, checksummed again (as a buggy writer would produce it). */
function rewritten(header: WeightsHeader, edit: (c: ModelConfig) => unknown): Uint8Array {
  const head = encodeFileHead({ ...header, config: edit(header.config) as ModelConfig });
  return head.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + new DataView(head.buffer).getUint32(8, true));
}

describe('the header codec follows weights/dynamic_head.proto', () => {
  it('the schema table has the .proto file\'s fields: numbers, types, labels', () => {
    const seen = new Set<string>();
    const check = (spec: MessageSpec) => {
      if (seen.has(spec.name)) return;
      seen.add(spec.name);
      const type = protoRoot.lookupType(`dynamichead.weights.${spec.name}`);
      const ours = (f: FieldSpec) => {
        const t = f.type;
        return typeof t === 'string' ? t : t.name;
      };
      expect(spec.fields.map((f) => [f.name, f.id, ours(f), !!f.repeated, !!f.optional]), spec.name).toEqual(
        type.fieldsArray.map((f) => [f.name, f.id, f.type, f.repeated, !!f.options?.proto3_optional]),
      );
      for (const f of spec.fields) {
        if (typeof f.type === 'string') continue;
        if (f.type.kind === 'message') check(f.type);
        else expect(Object.entries(f.type.values).map(([k, v]) => [v, Number(k)])).toEqual(Object.entries(protoRoot.lookupEnum(`dynamichead.weights.${f.type.name}`).values));
      }
    };
    check(WEIGHTS_HEADER_SCHEMA);
    expect(seen.size).toBe(9);
  });

  it('protobufjs and the hand-written codec read each other\'s bytes identically', () => {
    const { header } = readFileHead(defaultFile);
    const converted = convertCheckpoint(fixture('tiny-d2.pth.gz'), { fp16: true }).header;
    for (const h of [header, converted]) {
      const ours = encodeHeader(h);
      const viaProtobufjs = protoHeader.toObject(protoHeader.decode(ours), { longs: Number, enums: String, defaults: true, arrays: true });
      expect(viaProtobufjs.tensors.length).toBe(h.tensors.length);
      expect(viaProtobufjs.tensors[5].crc32).toBe(h.tensors[5]!.crc32);
      expect(viaProtobufjs.config.fpn.strides).toEqual([...h.config.fpn.strides]);
      expect(viaProtobufjs.config.input.pixelMean).toEqual([...h.config.input.pixelMean]);
      const theirs = protoHeader.encode(protoHeader.fromObject(viaProtobufjs)).finish();
      expect(decodeHeader(theirs)).toEqual(h);
    }
  });

  it('decode errors say what is wrong, where, and in which field', () => {
    const body = encodeHeader(readFileHead(defaultFile).header);
    expect(errorOf(() => decodeHeader(body.subarray(0, body.length - 3))).message).toMatch(
      /^Bad weights file: corrupt header: truncated .* at byte \d+ \(in WeightsHeader\.\w+/,
    );
    expect(errorOf(() => decodeHeader(new Uint8Array([0xff, 0xff, 0xff]))).message).toMatch(/corrupt header: truncated varint at byte 3 \(in WeightsHeader\)/);
    expect(errorOf(() => decodeHeader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))).message).toMatch(/unsupported wire type 7 at byte 5/);
    // field 1 (config) sent as a varint
    expect(errorOf(() => decodeHeader(new Uint8Array([0x08, 0x01]))).message).toMatch(/wire type 0 where 2 was expected .*\(in WeightsHeader\.config\)/);
  });
});

describe('header integrity', () => {
  const head = defaultFile.subarray(0, readFileHead(defaultFile).preamble.dataStart);
  const data = defaultFile.subarray(head.length);
  const { header } = readFileHead(defaultFile);

  it('the default weights are format version 2 and load', async () => {
    expect(new DataView(defaultFile.buffer, defaultFile.byteOffset).getUint32(4, true)).toBe(2);
    expect(await outcome(head, data)).toBe('loaded');
  });

  it(`every single-bit flip of the default weights' head (${head.length * 8} bits) → a WeightsFormatError naming the problem`, async () => {
    const mutated = head.slice();
    const kinds = new Map<string, number>();
    const t0 = performance.now();
    for (let bit = 0; bit < head.length * 8; bit++) {
      const byte = bit >> 3;
      mutated[byte] ^= 1 << (bit & 7);
      const result = await outcome(mutated, data);
      mutated[byte] = head[byte]!;
      if (!(result instanceof WeightsFormatError)) throw new Error(`flipping bit ${bit & 7} of byte ${byte} gave ${result === 'loaded' ? 'a loaded file' : String(result)}`);
      const kind = /checksum mismatch|not a dynamic-head weights file|format version \d+|bad header length|non-zero byte|truncated|unexpected bytes/.exec(result.message)?.[0].replace(/\d+/, 'N') ?? result.message;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(`${head.length * 8} single-bit flips of the default weights' head in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect([...kinds.keys()].every((k) => k.length < 40), `unexpected messages: ${[...kinds.keys()].join(' | ')}`).toBe(true);
    expect(kinds.get('checksum mismatch')).toBeGreaterThan(head.length * 8 * 0.9);
  });

  it('seeded header flips through the whole loader (stream of the full file) are refused too', async () => {
    const random = rng(19);
    for (let i = 0; i < 64; i++) {
      const bit = Math.floor(random() * head.length * 8);
      const file = defaultFile.slice();
      file[bit >> 3] ^= 1 << (bit & 7);
      await expect(loadWeights(file), `bit ${bit}`).rejects.toBeInstanceOf(WeightsFormatError);
    }
  });

  it('the flips the issue found (pixelStd 1 → 0.0625 and others) are caught by the checksum', async () => {
    // The same values, re-encoded without fixing the checksum: what a corrupted download looks like.
    const body = rewritten(header, (c) => ({ ...c, input: { ...c.input, pixelStd: [1, 1, 0.0625] } }));
    const forged = head.slice(0, PREAMBLE_BYTES + body.length);
    forged.set(body, PREAMBLE_BYTES);
    const error = errorOf(() => readFileHead(new Uint8Array([...forged, ...new Uint8Array(64)])));
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect(error.message).toMatch(/header checksum mismatch/);
  });

  it('with a valid checksum, the config is validated strictly and every problem is named', () => {
    const cases: [string, (c: ModelConfig) => unknown, RegExp][] = [
      ['strides', (c) => ({ ...c, fpn: { ...c.fpn, strides: [8, 16, 48, 64, 128] } }), /fpn\.strides must be \[8, 16, 32, 64, 128\].*got \[8, 16, 48, 64, 128\]/],
      ['stride count', (c) => ({ ...c, fpn: { ...c.fpn, strides: [8, 16, 32, 64] } }), /fpn\.strides must have 5 entries/],
      ['feature names', (c) => ({ ...c, fpn: { ...c.fpn, inFeatures: ['res3', 'res4', 'ras5'] } }), /fpn\.inFeatures must be \["res3", "res4", "res5"\]/],
      ['std 0', (c) => ({ ...c, input: { ...c.input, pixelStd: [1, 0, 1] } }), /input\.pixelStd\[1\] must be a finite number in \(0, 255\]/],
      ['mean NaN', (c) => ({ ...c, input: { ...c.input, pixelMean: [NaN, 116, 123] } }), /input\.pixelMean\[0\] must be a finite number/],
      ['gate tau ∞', (c) => ({ ...c, head: { ...c.head, gateTau: Infinity } }), /head\.gateTau must be a finite number/],
      ['gate tau NaN', (c) => ({ ...c, head: { ...c.head, gateTau: NaN } }), /head\.gateTau must be a finite number/],
      ['score threshold', (c) => ({ ...c, test: { ...c.test, scoreThresh: 1.5 } }), /test\.scoreThresh must be a finite number in \[0, 1\] \(got 1\.5\)/],
      ['NMS threshold 0', (c) => ({ ...c, test: { ...c.test, nmsThresh: 0 } }), /test\.nmsThresh must be a finite number in \(0, 1\]/],
      ['GN eps 0', (c) => ({ ...c, head: { ...c.head, gnEps: 0 } }), /head\.gnEps must be a finite number in \(0, 1\]/],
      ['depth', (c) => ({ ...c, backbone: { ...c.backbone, depth: 50 } }), /backbone\.depth 50 does not match backbone\.stageBlocks \[2, 2, 2, 2\] \(which imply 26\)/],
      ['min > max', (c) => ({ ...c, input: { ...c.input, minSize: 200 } }), /input\.minSize \(200\) must not exceed input\.maxSize \(160\)/],
      ['gate activation', (c) => ({ ...c, head: { ...c.head, gateActivation: 'GATE_ACTIVATION_UNSPECIFIED' } }), /head\.gateActivation is GATE_ACTIVATION_UNSPECIFIED/],
      ['architecture', (c) => ({ ...c, architecture: 'yolo' }), /architecture "yolo"/],
    ];
    for (const [what, edit, message] of cases) {
      const error = errorOf(() => decodeHeader(rewritten(header, edit)));
      expect(error, what).toBeInstanceOf(WeightsFormatError);
      expect(error.message, what).toMatch(message);
    }
    // Several problems at once are all named.
    const many = errorOf(() => decodeHeader(rewritten(header, (c) => withOverrides(c, { test: { scoreThresh: -1, nmsThresh: 2 } })))).message;
    expect(many).toMatch(/test\.scoreThresh.*; test\.nmsThresh/);
    expect(decodeHeader(encodeHeader({ ...header, config: DEFAULT_MODEL_CONFIG, classNames: undefined })).config).toEqual(DEFAULT_MODEL_CONFIG);
  });

  // All bits take ~2 min; npm test flips a seeded sample (WEIGHTS_FLIP_ALL=1 for every bit).
  it('with the checksum recomputed, bit flips never get a wrong stride or feature name past validation', () => {
    const body = head.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + new DataView(head.buffer, head.byteOffset).getUint32(8, true));
    const mutated = body.slice();
    const tally = { wire: 0, semantic: 0, accepted: 0 };
    const random = rng(16);
    const bits = process.env.WEIGHTS_FLIP_ALL ? body.length * 8 : 6000;
    const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    for (let n = 0; n < bits; n++) {
      const bit = process.env.WEIGHTS_FLIP_ALL ? n : Math.floor(random() * body.length * 8);
      mutated[bit >> 3] ^= 1 << (bit & 7);
      try {
        const decoded = decodeHeader(mutated);
        tally.accepted++;
        if (!same(decoded.config.fpn.strides, header.config.fpn.strides) || !same(decoded.config.fpn.inFeatures, header.config.fpn.inFeatures)) {
          throw new Error(`bit ${bit}: accepted fpn ${JSON.stringify(decoded.config.fpn)}`);
        }
      } catch (error) {
        if (!(error instanceof WeightsFormatError)) throw error;
        tally[/corrupt header/.test(error.message) ? 'wire' : 'semantic']++;
      }
      mutated[bit >> 3] = body[bit >> 3]!;
    }
    // Accepted flips change a free value (a mean, a tensor's CRC or name, ...): only the checksum
    // (or, later, a tensor CRC / the tensor-name check) catches those.
    console.log(`header body flips with the checksum recomputed: ${JSON.stringify(tally)}`);
    expect(tally.wire + tally.semantic + tally.accepted).toBe(bits);
    expect(tally.semantic).toBeGreaterThan(0);
  });

  it('version 1 files are refused with the way to upgrade them; the re-encoder keeps every byte of header and tensors', () => {
    // A version 1 file: 12-byte preamble (no checksum), the same header bytes, the same data.
    const { preamble } = readFileHead(defaultFile);
    const body = defaultFile.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + preamble.headerLength);
    const v1Start = Math.ceil((12 + body.length) / 64) * 64;
    const v1 = new Uint8Array(v1Start + data.length);
    v1.set([0x44, 0x48, 0x57, 0x46, 1, 0, 0, 0]);
    new DataView(v1.buffer).setUint32(8, body.length, true);
    v1.set(body, 12);
    v1.set(data, v1Start);
    const error = errorOf(() => readFileHead(v1));
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect(error.message).toMatch(/format version 1 is no longer read: it has no header checksum.*re-convert.*reencode-weights/);
    const upgraded = reencodeWeights(v1);
    expect(upgraded.fromVersion).toBe(1);
    expect(Buffer.from(upgraded.bytes).equals(Buffer.from(defaultFile))).toBe(true);
    const corrupt = v1.slice();
    corrupt[v1Start + 100] ^= 1;
    expect(errorOf(() => reencodeWeights(corrupt)).message).toMatch(/CRC mismatch/);
  });
});
