import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, CheckpointMismatchError, UnsafeCheckpointError } from '../../src/errors';
import { readCheckpoint } from '../../src/weights/checkpoint/read-checkpoint';
import { convertCheckpoint } from '../../src/weights/convert';
import { unpickle } from '../../src/weights/pickle/unpickler';
import { expected, fixture } from './weights-helpers';

/** Builds pickle bytes from strings (latin-1) and byte arrays. */
function pk(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const binunicode = (s: string) => pk('X', u32(s.length), s);

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('whitelisting unpickler', () => {
  const cases = Object.entries(expected.malicious).map(([file, info]) => [file, info.global, info] as const);
  it.each(cases)('%s is refused, naming %s, and nothing runs', (file, _global, info) => {
    rmSync(info.marker, { force: true });
    if (info.payload_verified !== null) expect(info.payload_verified).toBe(true); // the payload is live in Python
    const error = errorOf(() => convertCheckpoint(fixture(file))) as UnsafeCheckpointError;
    expect(error).toBeInstanceOf(UnsafeCheckpointError);
    expect(error.code).toBe('UNSAFE_CHECKPOINT');
    expect(error.global).toBe(info.global);
    expect(error.message).toContain(info.global);
    expect(existsSync(info.marker)).toBe(false);
  });

  it('refuses at the GLOBAL opcode itself, before any REDUCE', () => {
    // No REDUCE at all: a bare reference is already refused.
    expect((errorOf(() => unpickle(pk('\x80\x02cos\nsystem\n.'))) as UnsafeCheckpointError).global).toBe('os.system');
    const stack = pk('\x80\x04', [0x8c, 8], 'builtins', [0x8c, 4], 'exec', [0x93], '.');
    expect((errorOf(() => unpickle(stack)) as UnsafeCheckpointError).global).toBe('builtins.exec');
    const inst = pk("(S'touch /tmp/x'\nios\nsystem\n.");
    expect((errorOf(() => unpickle(inst)) as UnsafeCheckpointError).global).toBe('os.system');
    // torch.storage._load_from_bytes would unpickle nested, unchecked data: not whitelisted.
    const nested = pk('\x80\x02ctorch.storage\n_load_from_bytes\n.');
    expect((errorOf(() => unpickle(nested)) as UnsafeCheckpointError).global).toBe('torch.storage._load_from_bytes');
    expect(errorOf(() => unpickle(pk('\x80\x02', [0x82, 1], '.')))).toBeInstanceOf(UnsafeCheckpointError);
  });

  it('whitelisted globals only build data; misuse is a format error', () => {
    expect(errorOf(() => unpickle(pk('\x80\x02ctorch\nFloatStorage\n)R.')))).toBeInstanceOf(CheckpointFormatError);
    const rebuild = pk('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x02tR.');
    expect(errorOf(() => unpickle(rebuild))).toBeInstanceOf(CheckpointFormatError);
    // a persistent id outside a torch container
    expect(errorOf(() => unpickle(pk('\x80\x02K\x01Q.')))).toBeInstanceOf(CheckpointFormatError);
  });

  it('enforces limits: nesting, declared lengths, long integers, memo amplification', () => {
    expect(errorOf(() => unpickle(pk('\x80\x02', '('.repeat(5000), '.')))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => unpickle(pk('\x80\x02B', [0xff, 0xff, 0xff, 0x7f], 'abc.')))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => unpickle(pk('\x80\x04', [0x8e], [0, 0, 0, 0, 0, 0, 0x10, 0], '.')))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => unpickle(pk('\x80\x02', [0x8b], u32(1 << 30), '.')))).toBeInstanceOf(CheckpointFormatError);
    // A 64 KiB latin-1 string re-encoded through the memo 1000 times would be 64 MB from 70 KB.
    const text = 'x'.repeat(65536);
    const body: (string | number[])[] = ['\x80\x02c_codecs\nencode\nq\x01', binunicode(text) as unknown as number[], 'q\x02', binunicode('latin1') as unknown as number[], 'q\x030'];
    for (let i = 0; i < 1000; i++) body.push('h\x01h\x02h\x03\x86R0');
    body.push('N.');
    expect(errorOf(() => unpickle(pk(...body)))).toBeInstanceOf(CheckpointFormatError);
  });

  it('cycles and odd structures end in typed errors, not hangs', () => {
    // a dict whose 'model' entry is the dict itself
    const cyclic = pk('\x80\x02}q\x00', binunicode('model'), 'h\x00s.');
    expect(errorOf(() => convertCheckpoint(cyclic))).toBeInstanceOf(CheckpointMismatchError);
    expect(errorOf(() => readCheckpoint(pk('\x80\x02]q\x00h\x00a.')))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => readCheckpoint(new Uint8Array(0)))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => readCheckpoint(pk('hello world')))).toBeInstanceOf(CheckpointFormatError);
    expect(errorOf(() => readCheckpoint(pk('PK\x03\x04garbage')))).toBeInstanceOf(CheckpointFormatError);
  });
});
