import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeightsFetchError, WeightsFormatError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { createNodeRuntime } from '../../src/gpu/node-gpu';
import { convertCheckpoint, type ConversionResult } from '../../src/weights/convert';
import { f16ArrayToF32 } from '../../src/weights/f16';
import { GpuTensorSink } from '../../src/weights/gpu-sink';
import { loadWeights } from '../../src/weights/loader';
import { fixture, rng, tensorBytes } from './weights-helpers';

/** The file as a stream of irregular pieces (1 byte .. maxPiece), like a network would deliver. */
function streamOf(bytes: Uint8Array, seed: number, maxPiece = 4096): ReadableStream<Uint8Array> {
  const random = rng(seed);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = 1 + Math.floor(random() * maxPiece);
      controller.enqueue(bytes.slice(at, at + n)); // a fresh copy, as fetch gives
      at += n;
    },
  });
}

/** Byte equality without vitest's (slow, per element) deep comparison. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

let f32: ConversionResult;
let f16: ConversionResult;
beforeAll(() => {
  const checkpoint = fixture('tiny-d2.pth.gz');
  f32 = convertCheckpoint(checkpoint);
  f16 = convertCheckpoint(checkpoint, { fp16: true });
});

describe('loadWeights (CPU sink)', () => {
  it('streams irregular pieces; every tensor equals the converter output; progress is monotonic to the total', async () => {
    for (const seed of [1, 2, 3]) {
      const progress: [number, number][] = [];
      const loaded = await loadWeights(streamOf(f32.bytes, seed, seed === 1 ? 512 : 70_000), {
        onProgress: (loaded, total) => progress.push([loaded, total]),
      });
      expect(loaded.config).toEqual(f32.config);
      expect([...loaded.tensors.keys()]).toEqual(f32.header.tensors.map((t) => t.name));
      for (const t of f32.header.tensors) {
        const got = loaded.tensors.get(t.name)!;
        expect(got.shape).toEqual(t.shape);
        expect(sameBytes(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength), tensorBytes(f32, t.name)), t.name).toBe(true);
      }
      expect(progress.length).toBeGreaterThan(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
      expect(progress.every(([, total]) => total === f32.bytes.length)).toBe(true);
      expect(progress[progress.length - 1]).toEqual([f32.bytes.length, f32.bytes.length]);
    }
  });

  it('accepts ArrayBuffer and Blob sources and widens f16 to f32', async () => {
    const fromBuffer = await loadWeights(f16.bytes.slice().buffer);
    const fromBlob = await loadWeights(new Blob([f16.bytes.slice()]));
    for (const loaded of [fromBuffer, fromBlob]) {
      for (const t of f16.header.tensors) {
        const got = loaded.tensors.get(t.name)!;
        expect(got.storedAs).toBe(t.dtype);
        const raw = tensorBytes(f16, t.name).slice();
        const want = t.dtype === 'f16' ? f16ArrayToF32(new Uint16Array(raw.buffer)) : new Float32Array(raw.buffer);
        expect(sameBytes(new Uint8Array(got.data.buffer), new Uint8Array(want.buffer)), t.name).toBe(true);
      }
    }
  });

  it('truncated, corrupt, over-long and unknown-version files fail with WeightsFormatError', async () => {
    const bytes = f32.bytes;
    for (const cut of [5, 40, bytes.length - f32.header.dataLength + 10, bytes.length - 1]) {
      const error = await rejection(loadWeights(streamOf(bytes.subarray(0, cut), cut)));
      expect(error, `cut at ${cut}`).toBeInstanceOf(WeightsFormatError);
      expect(error.message).toMatch(/truncated/);
    }
    const corrupt = bytes.slice();
    corrupt[bytes.length - f32.header.dataLength + f32.header.tensors[3].offset + 1] ^= 0x10;
    expect((await rejection(loadWeights(streamOf(corrupt, 9)))).message).toMatch(/CRC mismatch/);
    await expect(loadWeights(streamOf(corrupt, 9), { verify: false })).resolves.toBeDefined();
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect((await rejection(loadWeights(streamOf(longer, 4)))).message).toMatch(/unexpected bytes/);
    const future = bytes.slice();
    future[4] = 3;
    expect((await rejection(loadWeights(future))).message).toMatch(/format version 3 is not supported/);
  });

  it('fetches URLs (custom fetch), reports HTTP errors, and uses the Cache API when asked', async () => {
    let fetches = 0;
    const fakeFetch = (async (input: RequestInfo | URL) => {
      fetches++;
      if (String(input).endsWith('missing.dhw')) return new Response('no', { status: 404, statusText: 'Not Found' });
      return new Response(streamOf(f32.bytes, 5), { headers: { 'content-length': String(f32.bytes.length) } });
    }) as typeof fetch;
    const store = new Map<string, Response>();
    const fakeCaches = {
      open: async () => ({
        match: async (url: URL) => store.get(String(url))?.clone(),
        put: async (url: URL, response: Response) => {
          store.set(String(url), new Response(await response.arrayBuffer(), { headers: response.headers }));
        },
        delete: async (url: URL) => store.delete(String(url)),
      }),
    };
    const saved = (globalThis as { caches?: unknown }).caches;
    (globalThis as { caches?: unknown }).caches = fakeCaches;
    try {
      const first = await loadWeights('https://example.invalid/w.dhw', { fetch: fakeFetch, cache: true });
      expect(first.fromCache).toBe(false);
      await new Promise((r) => setTimeout(r, 10));
      const second = await loadWeights('https://example.invalid/w.dhw', { fetch: fakeFetch, cache: true });
      expect(second.fromCache).toBe(true);
      expect(fetches).toBe(1);
      expect(second.tensors.size).toBe(f32.header.tensors.length);
      const error = await rejection(loadWeights('https://example.invalid/missing.dhw', { fetch: fakeFetch }));
      expect(error).toBeInstanceOf(WeightsFetchError);
      expect((error as WeightsFetchError).status).toBe(404);
    } finally {
      (globalThis as { caches?: unknown }).caches = saved;
    }
  });
});

describe('loadWeights → GPU buffers (Dawn)', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await createNodeRuntime();
  });
  afterAll(() => rt?.destroy());

  it('writes every tensor into its own buffer as bytes arrive (f32 file)', async () => {
    const sink = new GpuTensorSink(rt);
    const loaded = await loadWeights(streamOf(f32.bytes, 11, 3001), { upload: sink });
    for (const t of f32.header.tensors) {
      const g = loaded.tensors.get(t.name)!;
      expect(g.dtype).toBe('f32');
      expect(g.shape).toEqual(t.shape);
      expect(sameBytes(new Uint8Array(await rt.read(g.buffer, t.byteLength)), tensorBytes(f32, t.name)), t.name).toBe(true);
    }
    sink.scope.dispose();
  });

  it('widens f16 on the CPU when asked (as without shader-f16), or keeps it', async () => {
    for (const mode of ['upcast', 'keep'] as const) {
      const sink = new GpuTensorSink(rt, { f16: mode });
      const loaded = await loadWeights(streamOf(f16.bytes, 12, 999), { upload: sink });
      for (const t of f16.header.tensors.filter((x) => x.dtype === 'f16').slice(0, 40)) {
        const g = loaded.tensors.get(t.name)!;
        const raw = tensorBytes(f16, t.name).slice();
        if (mode === 'keep') {
          expect(g.dtype).toBe('f16');
          expect(sameBytes(new Uint8Array(await rt.read(g.buffer, t.byteLength)), raw), t.name).toBe(true);
        } else {
          expect(g.dtype).toBe('f32');
          const wide = f16ArrayToF32(new Uint16Array(raw.buffer));
          expect(sameBytes(new Uint8Array(await rt.read(g.buffer, t.byteLength * 2)), new Uint8Array(wide.buffer)), t.name).toBe(true);
        }
      }
      sink.scope.dispose();
    }
  });
});
