/**
 * Reader for the golden fixtures of the offline PyTorch reference (tests/fixtures/reference/
 * <config>/manifest.json + <image>.bin, schema in tools/reference/README.md). Runs in Node and in
 * the browser: all file access goes through a `readFile(relativePath)` callback, with paths
 * relative to tests/fixtures/reference/.
 */

/** Reads `tests/fixtures/reference/<relativePath>`. */
export type FixtureFileReader = (relativePath: string) => Promise<ArrayBuffer>;

/** `ModelConfig` of tools/reference/config.py, as the manifest records it. */
export interface ReferenceModelConfig {
  readonly name: string;
  readonly depth_blocks: readonly number[];
  readonly stem_out_channels: number;
  readonly res2_out_channels: number;
  readonly width_per_group: number;
  readonly stride_in_1x1: boolean;
  readonly frozen_bn_eps: number;
  readonly fpn_channels: number;
  readonly num_routers: number;
  readonly num_classes: number;
  readonly gn_groups: number;
  readonly gn_eps: number;
  readonly gate_activation: string;
  readonly gate_tau: number;
  readonly head_mode: 'dynamic' | 'fixed';
  readonly fpn_strides: readonly number[];
  readonly score_thresh: number;
  readonly topk_candidates: number;
  readonly nms_thresh: number;
  readonly max_detections: number;
  readonly pixel_mean: readonly number[];
  readonly pixel_std: readonly number[];
  readonly input_format: 'BGR' | 'RGB';
  readonly size_divisibility: number;
  readonly min_size: number;
  readonly max_size: number;
  readonly seed: number;
  readonly images: readonly string[];
  readonly checkpoint_from: string | null;
  readonly commit: boolean;
  readonly res_out_channels: readonly number[];
  readonly bottleneck_channels: readonly number[];
  readonly num_convs: number;
}

export type FixtureDType = 'float32' | 'int32';

export interface FixtureTensorEntry {
  readonly name: string;
  readonly file: string;
  readonly offset: number;
  readonly nbytes: number;
  readonly shape: readonly number[];
  readonly dtype: FixtureDType;
}

export interface ParityRecord {
  readonly max_rel_diff: number;
  readonly worst_tensor: string;
  readonly max_rel_diff_family: number;
  readonly worst_family: string;
}

/** One image's manifest entry, less its tensor table. */
export interface ReferenceImageInfo {
  readonly id: string;
  readonly png: string;
  readonly png_channel_order: string;
  readonly original_size: readonly [number, number];
  readonly resized_size: readonly [number, number];
  readonly padded_size: readonly [number, number];
  readonly scale_y: number;
  readonly scale_x: number;
  readonly level_sizes: readonly (readonly [number, number])[];
  readonly parity: Readonly<Record<string, ParityRecord>>;
  /** Masked configs only. */
  readonly gate_densities?: Readonly<Record<string, unknown>>;
  readonly gate_logit_min_abs?: number;
  readonly 'gate_logits_within_1e-4_of_zero'?: number;
  readonly macs: Readonly<Record<string, unknown>>;
  readonly detections: {
    readonly count: number;
    readonly num_candidates_before_nms: number;
    readonly num_after_nms_topk: number;
  };
}

export interface ReferenceManifest {
  readonly format_version: number;
  readonly generator: string;
  readonly config: ReferenceModelConfig;
  readonly execution_mode: 'masked' | 'fixed';
  readonly checkpoint: {
    /** Relative to the config's folder (`../narrow-d4/checkpoint.pth` for a shared one). */
    readonly file: string;
    readonly format: string;
    readonly sha256: string;
    readonly num_tensors: number;
    readonly num_params: number;
    readonly gate_params_included: boolean;
    readonly gate_params_used: boolean;
    readonly same_weights_as: string | null;
  };
  readonly levels: readonly { readonly name: string; readonly stride: number }[];
  readonly tensor_encoding: string;
  readonly calibration: Readonly<Record<string, unknown>> | null;
  readonly images: readonly (ReferenceImageInfo & { readonly tensors: readonly FixtureTensorEntry[] })[];
}

export interface FixtureTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface ReferenceImage {
  readonly id: string;
  readonly info: ReferenceImageInfo;
  /** The PNG's path for `readFile` (8-bit RGB). */
  readonly pngPath: string;
  readonly tensorNames: readonly string[];
  has(name: string): boolean;
  /** The tensor as stored (NCHW for feature maps). Throws for an unknown name. */
  tensor(name: string): FixtureTensor;
  /** A float32 tensor's data as stored. */
  float32(name: string): Float32Array;
  /** A rank-4 NCHW tensor transposed to NHWC (the engine's layout). */
  nhwc(name: string): FixtureTensor;
}

export interface ReferenceFixture {
  readonly configName: string;
  readonly manifest: ReferenceManifest;
  /** The checkpoint's path for `readFile`, resolved against the config's folder. */
  readonly checkpointPath: string;
  readonly images: readonly ReferenceImage[];
  image(id: string): ReferenceImage;
}

/** Joins `relative` onto `folder`, resolving `.` and `..` (no leading `/`). */
export function joinFixturePath(folder: string, relative: string): string {
  const parts: string[] = [];
  for (const part of `${folder}/${relative}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** NCHW → NHWC for a rank-4 tensor (works for either element type). */
export function nchwToNhwc<T extends Float32Array | Int32Array>(data: T, shape: readonly number[]): T {
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (b * c + ch) * hw;
      for (let p = 0; p < hw; p++) out[(b * hw + p) * c + ch] = data[src + p]!;
    }
  }
  return out;
}

function makeImage(
  entry: ReferenceImageInfo & { readonly tensors: readonly FixtureTensorEntry[] },
  folder: string,
  files: ReadonlyMap<string, ArrayBuffer>,
): ReferenceImage {
  const { tensors, ...info } = entry;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const cache = new Map<string, FixtureTensor>();
  const tensor = (name: string): FixtureTensor => {
    const cached = cache.get(name);
    if (cached) return cached;
    const t = byName.get(name);
    if (!t) throw new Error(`fixture ${folder}/${entry.id} has no tensor "${name}"`);
    const bytes = files.get(t.file);
    if (!bytes) throw new Error(`fixture ${folder}/${t.file} was not loaded`);
    if (t.offset + t.nbytes > bytes.byteLength) {
      throw new Error(`tensor "${name}" [${t.offset}, +${t.nbytes}) lies beyond ${t.file} (${bytes.byteLength} bytes)`);
    }
    // A copy: aligned whatever the offset, and the caller may mutate it.
    const slice = bytes.slice(t.offset, t.offset + t.nbytes);
    const data = t.dtype === 'int32' ? new Int32Array(slice) : new Float32Array(slice);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`tensor "${name}": ${data.length} values for shape [${t.shape.join(', ')}]`);
    const result = { name, shape: t.shape, data };
    cache.set(name, result);
    return result;
  };
  return {
    id: entry.id,
    info,
    pngPath: joinFixturePath(folder, entry.png),
    tensorNames: tensors.map((t) => t.name),
    has: (name) => byName.has(name),
    tensor,
    float32(name) {
      const { data } = tensor(name);
      if (!(data instanceof Float32Array)) throw new Error(`tensor "${name}" is not float32`);
      return data;
    },
    nhwc(name) {
      const t = tensor(name);
      if (t.shape.length !== 4) throw new Error(`tensor "${name}" has rank ${t.shape.length}, not 4`);
      const [n, c, h, w] = t.shape as [number, number, number, number];
      return { name, shape: [n, h, w, c], data: nchwToNhwc(t.data, t.shape) };
    },
  };
}

/** Reads `<configName>/manifest.json` and every `.bin` it names. */
export async function loadReferenceFixture(configName: string, readFile: FixtureFileReader): Promise<ReferenceFixture> {
  const manifestBytes = await readFile(joinFixturePath(configName, 'manifest.json'));
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ReferenceManifest;
  if (manifest.format_version !== 1) {
    throw new Error(`fixture ${configName}: manifest format_version ${manifest.format_version}, this reader knows 1`);
  }
  const binNames = [...new Set(manifest.images.flatMap((im) => im.tensors.map((t) => t.file)))];
  const files = new Map<string, ArrayBuffer>(
    await Promise.all(binNames.map(async (f) => [f, await readFile(joinFixturePath(configName, f))] as const)),
  );
  const images = manifest.images.map((entry) => makeImage(entry, configName, files));
  return {
    configName,
    manifest,
    checkpointPath: joinFixturePath(configName, manifest.checkpoint.file),
    images,
    image(id) {
      const found = images.find((im) => im.id === id);
      if (!found) throw new Error(`fixture ${configName} has no image "${id}" (has ${images.map((im) => im.id).join(', ')})`);
      return found;
    },
  };
}

/** Node: reads from the repository's tests/fixtures/reference/ with `fs`. */
export function nodeFixtureReader(root?: string): FixtureFileReader {
  return async (relativePath) => {
    // Imported lazily through a variable so browser bundles never try to resolve `node:*`.
    const fsName = 'node:fs/promises';
    const urlName = 'node:url';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    const { fileURLToPath } = (await import(/* @vite-ignore */ urlName)) as typeof import('node:url');
    const base = root ?? fileURLToPath(new URL('../fixtures/reference/', import.meta.url));
    const bytes = await fs.readFile(`${base.replace(/\/?$/, '/')}${relativePath}`);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
}

/** Browser: fetches from the dev server, which serves the repository root (Vite). */
export function fetchFixtureReader(baseUrl = '/tests/fixtures/reference/'): FixtureFileReader {
  return async (relativePath) => {
    const response = await fetch(`${baseUrl.replace(/\/?$/, '/')}${relativePath}`);
    if (!response.ok) throw new Error(`fetching fixture ${relativePath}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
}
