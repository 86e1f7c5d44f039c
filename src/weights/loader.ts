/**
 * Streaming weights loader: fetches (or reads) a `.dhw` file piece by piece, parses the header as
 * soon as it arrives and hands each tensor's bytes to a sink (GPU buffers by default in the
 * engine, CPU arrays here) while the rest is still downloading. Tensor bytes are never
 * accumulated: JS memory stays around one network chunk plus the header.
 */
import { DynamicHeadError, InvalidArgumentError, WeightsFetchError, WeightsFormatError } from '../errors';
import type { ModelConfig } from './config';
import { CpuTensorSink, type CpuTensor } from './cpu-sink';
import type { WeightsHeader } from './format';
import type { TensorSink } from './sink';
import { WeightsStreamParser } from './stream-parser';

export type WeightsSource = URL | string | ArrayBuffer | ArrayBufferView | Blob | ReadableStream<Uint8Array>;

export interface LoadWeightsOptions<T> {
  /** Called after the header has arrived and after every piece: bytes so far, file size. */
  readonly onProgress?: (loaded: number, total: number) => void;
  /** Where tensors go (default: `CpuTensorSink`). */
  readonly upload?: TensorSink<T>;
  /** Cache the response with the Cache API when available (URL sources); a name picks the cache. */
  readonly cache?: boolean | string;
  /** Check every tensor's CRC-32 (default true). */
  readonly verify?: boolean;
  readonly signal?: AbortSignal;
  /** `fetch` to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Piece size when the source is an in-memory buffer (default 1 MiB). */
  readonly chunkBytes?: number;
}

export interface LoadedWeights<T> {
  readonly config: ModelConfig;
  readonly header: WeightsHeader;
  /** Engine tensor name → what the sink made of it, in file order. */
  readonly tensors: ReadonlyMap<string, T>;
  readonly byteLength: number;
  /** The bytes came from the Cache API. */
  readonly fromCache: boolean;
}

export const DEFAULT_CACHE_NAME = 'dynamic-head-weights';

export function loadWeights(
  source: WeightsSource,
  options?: LoadWeightsOptions<CpuTensor> & { upload?: undefined },
): Promise<LoadedWeights<CpuTensor>>;
export function loadWeights<T>(
  source: WeightsSource,
  options: LoadWeightsOptions<T> & { upload: TensorSink<T> },
): Promise<LoadedWeights<T>>;
export async function loadWeights<T>(source: WeightsSource, options: LoadWeightsOptions<T> = {}): Promise<LoadedWeights<T>> {
  const sink = options.upload ?? (new CpuTensorSink() as unknown as TensorSink<T>);
  const opened = await openSource(source, options);
  const parser = new WeightsStreamParser(sink, { verify: options.verify, expectedTotal: opened.size });
  const reader = chunkReader(opened.stream);
  let lastReported = -1;
  const report = () => {
    const total = parser.total;
    if (total !== undefined && parser.position !== lastReported) {
      lastReported = parser.position;
      options.onProgress?.(parser.position, total);
    }
  };
  try {
    for (;;) {
      if (options.signal?.aborted) throw new WeightsFetchError(opened.label, 'aborted');
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        throw new WeightsFetchError(opened.label, `the download failed (${(e as Error).message})`);
      }
      if (result.done) break;
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) throw new WeightsFormatError('the stream yielded something other than bytes');
      await parser.push(chunk);
      report();
    }
    await parser.end();
    report();
  } catch (e) {
    void reader.cancel().catch(() => undefined);
    sink.abort?.(e);
    await opened.onFailure?.();
    if (e instanceof DynamicHeadError) throw e;
    throw new WeightsFormatError(`could not parse (${e instanceof Error ? e.message : String(e)})`);
  }
  const header = parser.header as WeightsHeader;
  return {
    config: header.config,
    header,
    tensors: parser.tensors,
    byteLength: parser.position,
    fromCache: opened.fromCache,
  };
}

/** Size of the reused read buffer for byte streams. */
const BYOB_CHUNK_BYTES = 1 << 20;

/**
 * Reads a stream's chunks. For byte streams (fetch and Blob bodies in browsers) it reads into one
 * reused buffer (a BYOB reader), so a 200 MB download does not leave 200 MB of spent chunks for
 * the garbage collector; a chunk is valid until the next `read()`, which the parser respects
 * (it copies what it keeps). Other streams fall back to the default reader.
 */
function chunkReader(stream: ReadableStream<Uint8Array>): { read(): Promise<ReadableStreamReadResult<Uint8Array>>; cancel(): Promise<void> } {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = undefined;
  }
  if (!byob) return stream.getReader();
  const reader = byob;
  let buffer = new ArrayBuffer(BYOB_CHUNK_BYTES);
  return {
    async read() {
      const result = await reader.read(new Uint8Array(buffer, 0, buffer.byteLength));
      if (result.value) buffer = result.value.buffer as ArrayBuffer;
      return result.done ? { done: true, value: undefined } : { done: false, value: result.value as Uint8Array };
    },
    cancel: () => reader.cancel(),
  };
}

interface OpenedSource {
  stream: ReadableStream<Uint8Array>;
  /** Exact size when known (ArrayBuffer, Blob, uncompressed HTTP with Content-Length). */
  size?: number;
  label: string;
  fromCache: boolean;
  onFailure?: () => Promise<void>;
}

async function openSource<T>(source: WeightsSource, options: LoadWeightsOptions<T>): Promise<OpenedSource> {
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    return { stream: source, label: 'stream', fromCache: false };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return { stream: source.stream(), size: source.size, label: 'blob', fromCache: false };
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { stream: chunked(bytes, options.chunkBytes ?? 1 << 20), size: bytes.length, label: 'buffer', fromCache: false };
  }
  if (typeof source === 'string' || source instanceof URL) return openUrl(resolveUrl(source), options);
  throw new InvalidArgumentError('source', 'expected a URL, string, ArrayBuffer, Blob or ReadableStream');
}

function resolveUrl(source: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(source, base);
  } catch {
    throw new InvalidArgumentError('source', `"${String(source)}" is not a URL (in Node, pass a ReadableStream of the file)`);
  }
}

async function openUrl<T>(url: URL, options: LoadWeightsOptions<T>): Promise<OpenedSource> {
  const label = url.href;
  const cacheName = typeof options.cache === 'string' ? options.cache : DEFAULT_CACHE_NAME;
  const cache =
    options.cache && typeof caches !== 'undefined' ? await caches.open(cacheName).catch(() => undefined) : undefined;
  if (cache) {
    const hit = await cache.match(url).catch(() => undefined);
    if (hit?.body) {
      return {
        stream: hit.body,
        size: contentLength(hit),
        label,
        fromCache: true,
        onFailure: async () => void (await cache.delete(url).catch(() => false)),
      };
    }
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (!fetchImpl) throw new WeightsFetchError(label, 'fetch is not available here');
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: options.signal });
  } catch (e) {
    throw new WeightsFetchError(label, (e as Error).message);
  }
  if (!response.ok || !response.body) {
    throw new WeightsFetchError(label, `HTTP ${response.status} ${response.statusText}`.trim(), response.status);
  }
  let stream = response.body;
  let onFailure: (() => Promise<void>) | undefined;
  if (cache) {
    // One branch feeds the parser, the other the cache; a failed parse evicts the entry.
    const [mine, theirs] = stream.tee();
    stream = mine;
    const stored = cache.put(url, new Response(theirs, { headers: response.headers })).catch(() => undefined);
    onFailure = async () => {
      await stored;
      await cache.delete(url).catch(() => false);
    };
  }
  return { stream, size: contentLength(response), label, fromCache: false, onFailure };
}

/** Content-Length is the file size only when no content encoding was applied. */
function contentLength(response: Response): number | undefined {
  if (response.headers.get('content-encoding')) return undefined;
  const n = Number(response.headers.get('content-length') ?? NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** An in-memory buffer as a stream of views (no copies). */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(at, at + size));
      at += size;
    },
  });
}
