/**
 * `createDetector` for Node: the browser API's options and results, with Node's inputs (file
 * paths, URLs, bytes; PNG/JPEG bytes or RGBA pixels) and Dawn (the optional `webgpu` peer
 * package) for WebGPU. The engine runs in-process, not in a `worker_threads` worker: Dawn
 * already runs the GPU work off the JS thread and the calls are asynchronous, whereas a worker
 * would copy every image and result across a thread boundary; only decoding and FCOS
 * post-processing use the JS thread (milliseconds for a photo). A folder of images is a loop of
 * `detect` over one detector.
 */
import { readFile, stat } from 'node:fs/promises';
import type { CreateDetectorOptions, DetectOptions, DetectResult, Detector, ModelInfo, WarmupOptions, WarmupResult } from '../api/types';
import { decodeImage } from '../cli/image';
import { AbortError, EngineDisposedError, InvalidArgumentError, UnsupportedImageError } from '../errors';
import { createNodeRuntime } from '../gpu/node-gpu';
import type { RgbaPixels } from '../model/input-stage';
import { EngineHost } from '../worker/engine-host';
import type { GateRequest, LoadRequest } from '../api/worker-protocol';

/** An image in Node: a file path, PNG/JPEG bytes, or RGBA8 pixels (`ImageData` layout). */
export type NodeImageSource = string | URL | Uint8Array | ArrayBuffer | RgbaPixels;

/** Weights in Node: a file path, a `file:`/`http(s):` URL, bytes or a Blob. */
export type NodeWeightsInput = string | URL | ArrayBuffer | Uint8Array | Blob;

export interface NodeDetectorOptions extends Omit<CreateDetectorOptions, 'weights' | 'cache'> {
  readonly weights: NodeWeightsInput;
}

export interface NodeDetector extends Omit<Detector, 'detect'> {
  detect(image: NodeImageSource, options?: DetectOptions): Promise<DetectResult>;
}

const isUrl = (s: string) => /^(https?|file):\/\//i.test(s);

/** Reads a file named by the user, failing with one line that names it. */
async function readUserFile(file: string | URL, what: string): Promise<Uint8Array> {
  const name = file instanceof URL ? file.href : file;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InvalidArgumentError(what, `${name} is not a file`);
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(what, code === 'ENOENT' ? `${name} does not exist` : `${name} cannot be read (${code ?? String(error)})`);
  }
}

async function weightsBytes(weights: NodeWeightsInput): Promise<string | ArrayBuffer | Blob> {
  if (weights instanceof ArrayBuffer || (typeof Blob !== 'undefined' && weights instanceof Blob)) return weights;
  if (weights instanceof Uint8Array) return weights.slice().buffer;
  const href = weights instanceof URL ? weights.href : weights;
  if (typeof href !== 'string') throw new InvalidArgumentError('weights', 'expected a file path, URL, ArrayBuffer, Uint8Array or Blob');
  if (/^https?:\/\//i.test(href)) return href;
  const file = href.startsWith('file:') ? new URL(href) : href;
  return (await readUserFile(file, 'weights')).buffer as ArrayBuffer;
}

function isRgba(image: unknown): image is RgbaPixels {
  return typeof image === 'object' && image !== null && 'data' in image && 'width' in image && 'height' in image;
}

async function pixelsOf(image: NodeImageSource): Promise<RgbaPixels> {
  if (isRgba(image)) return image;
  if (image instanceof Uint8Array) return decodeImage(image);
  if (image instanceof ArrayBuffer) return decodeImage(new Uint8Array(image));
  if (typeof image === 'string' || image instanceof URL) {
    const name = image instanceof URL ? image.href : image;
    if (typeof image === 'string' && isUrl(image) && !image.startsWith('file:')) throw new UnsupportedImageError(`fetch ${name} yourself and pass its bytes`);
    const file = typeof image === 'string' && image.startsWith('file:') ? new URL(image) : image;
    return decodeImage(await readUserFile(file, 'image'), name);
  }
  throw new InvalidArgumentError('image', 'expected a file path, PNG/JPEG bytes or { data, width, height } RGBA pixels');
}

function warmupRequest(warmup: CreateDetectorOptions['warmup']): LoadRequest['warmup'] {
  if (warmup === false) return false;
  const options = typeof warmup === 'object' && warmup !== null ? warmup : {};
  const size = options.size;
  const [height, width] = size === undefined ? [undefined, undefined] : typeof size === 'number' ? [size, size] : [size.height, size.width];
  return { height, width, gates: options.gates ?? false };
}

class InProcessDetector implements NodeDetector {
  private disposed = false;
  private nextCallId = 1;

  constructor(
    private readonly host: EngineHost,
    readonly model: ModelInfo,
    private readonly scoreThreshold: number | undefined,
  ) {}

  async detect(image: NodeImageSource, options: DetectOptions = {}): Promise<DetectResult> {
    if (this.disposed) throw new EngineDisposedError();
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError('detect', signal.reason);
    const t0 = performance.now();
    const pixels = await pixelsOf(image);
    const decodeMs = performance.now() - t0;
    const gates: GateRequest = options.returnGates ? 'maps' : options.gateDensities ? 'densities' : 'none';
    const callId = this.nextCallId++;
    const onAbort = () => this.host.cancel(callId);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await this.host.detect({ read: () => pixels, discard: () => undefined }, { scoreThreshold: options.scoreThreshold ?? this.scoreThreshold, gates, callId });
      if (signal?.aborted) throw new AbortError('detect', signal.reason);
      return { ...result, timings: { ...result.timings, decodeMs: decodeMs + result.timings.decodeMs, totalMs: performance.now() - t0 } };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  warmup(size?: WarmupOptions['size'], options: { readonly gates?: boolean } = {}): Promise<WarmupResult> {
    if (this.disposed) return Promise.reject(new EngineDisposedError());
    const request = warmupRequest({ size, gates: options.gates });
    return request ? this.host.warmup(request.height, request.width, request.gates) : this.host.warmup(undefined, undefined, false);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.host.dispose();
  }
}

/**
 * Loads weights into an in-process engine on Dawn. Rejects with `WebGPUUnavailableError` when
 * the optional `webgpu` package is missing, `InvalidArgumentError` for a missing file,
 * `WeightsFormatError` for bad weights.
 */
export async function createDetector(options: NodeDetectorOptions): Promise<NodeDetector> {
  if (!options || typeof options !== 'object') throw new InvalidArgumentError('options', 'expected { weights, ... }');
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('createDetector', signal.reason);
  const t0 = performance.now();
  const weights = await weightsBytes(options.weights);
  const host = new EngineHost((runtimeOptions) => createNodeRuntime(runtimeOptions));
  const request: LoadRequest = {
    weights,
    cache: false,
    labels: options.labels,
    powerPreference: options.powerPreference,
    sparseCrossover: options.sparseCrossover,
    warmup: warmupRequest(options.warmup),
  };
  const onProgress = options.onProgress;
  const loading = host.load(request, onProgress ? (event) => onProgress({ ...event }) : undefined);
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void host.dispose();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const loaded = await loading;
    if (aborted) throw new AbortError('createDetector', signal!.reason);
    return new InProcessDetector(host, { ...loaded, loadTimings: { ...loaded.loadTimings, totalMs: performance.now() - t0 } }, options.scoreThreshold);
  } catch (error) {
    await host.dispose();
    throw aborted ? new AbortError('createDetector', signal!.reason) : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
