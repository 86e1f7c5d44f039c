/**
 * Browser benchmark suite: our engine (fixed vs dynamic D8 head) side by side with ONNX Runtime
 * Web (WebGPU and wasm execution providers) running the same dense graph with the same weights
 * and inputs, in Debian Chromium driven by Playwright; plus the sparse/dense kernel curve.
 *   npm run bench [-- --profile ci|full] [--runs N] [--warmup N] [--checkpoint PATH] [--baseline PATH|none]
 *                 [--peers webgpu,wasm|wasm|webgpu|none] [--no-peer-dynamic] [--series network|pipeline|both]
 *                 [--deadline-min N] [--image FILE]… [--min-size N --max-size N]
 * With --warmup 0 the first run after compiling is the first timed sample (on SwiftShader a full
 * profile frame takes minutes: `--profile full --warmup 0 --runs 1 --series pipeline --peers wasm`).
 * `ci` (default): the narrow-d8 reference checkpoint on its two fixture images — finishes in a few
 * minutes on SwiftShader — with the FCOS baseline series from tests/fixtures/zoo (the official
 * FCOS R50 layout at the same backbone and widths, 4 convs per tower, 80 classes). `full`: a full-width ResNet-50 D8 checkpoint (tools/reference
 * make_fixtures.py --config full-r50-d8, generated once into bench-results/assets/ when no
 * --checkpoint is given) on two synthetic 800×1333 images — for real GPUs; its FCOS baseline
 * series needs --baseline (e.g. the official FCOS R50 checkpoint, or one written by
 * tools/reference/zoo_checkpoints.py --full).
 * `--image FILE` (repeatable) runs those images instead, pre-processed on the CPU exactly as the
 * engine does (Pillow resize, normalise, pad); with `ci`, `--checkpoint` then names the model (a
 * checkpoint, converted at `--min-size` / `--max-size` when given, or a `.dhw` file run against
 * its fixed twin), e.g. the default model at 160×160 or narrow-d8 at 320×480.
 * Writes bench-results/bench-<profile>-<timestamp>.{json,html} (the HTML is self-contained).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';
import { decodeImage } from '../src/cli/image';
import { planPreprocess } from '../src/ops/preprocess';
import { preprocessRef } from '../src/reference/preprocess';
import type { InputConfig, ModelConfigOverrides } from '../src/weights/config';
import { convertCheckpoint } from '../src/weights/convert';
import { readFileHead } from '../src/weights/format';
import { fixedHeadVariant } from '../src/weights/head-variant';
import { loadReferenceFixture, nodeFixtureReader } from '../tests/harness/reference-fixtures';
import { formatRatio, ratioRows } from './ratios';
import { renderReport } from './report';
import type { BenchResult, SparseCurve, SuiteImage, SuiteMessage, SuiteModel, SuiteProfileName, SuiteRequest, WorkerResult } from './suite-types';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench-results');
const assetsDir = path.join(resultsDir, 'assets');

interface Args {
  profile: SuiteProfileName;
  runs?: number;
  warmup?: number;
  checkpoint?: string;
  /** FCOS baseline checkpoint; 'none' leaves the series out; default: ci narrow-fcos, full none. */
  baseline?: string;
  /** ORT-web execution providers to run as peers (default both; 'none' for none). */
  peers: ('webgpu' | 'wasm')[];
  /** Our series to time (default both; the full profile on a CPU adapter: pipeline). */
  series?: ('network' | 'pipeline')[];
  /** Give up after this many minutes (default: ci 20, full 360). */
  deadlineMin?: number;
  peerDynamic: boolean;
  sparse: boolean;
  port: number;
  /** Routers per tower to keep (the checkpoint's later routers are dropped); default: ci 2, full all. */
  routers?: number;
  /** How many of the profile's images to use (default: ci 1, full 2). */
  images?: number;
  /** Image files to run instead of the profile's (pre-processed on the CPU as the engine does). */
  imageFiles: string[];
  /** ci: the input size to convert the checkpoint with (needs --image). */
  minSize?: number;
  maxSize?: number;
}

function parseArgs(args: readonly string[]): Args {
  const out: Args = { profile: 'ci', peers: ['webgpu', 'wasm'], peerDynamic: true, sparse: true, port: 4175, imageFiles: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--profile') {
      const p = value();
      if (p !== 'ci' && p !== 'full') throw new Error(`--profile must be ci or full, got ${p}`);
      out.profile = p;
    } else if (a === '--runs') out.runs = Number(value());
    else if (a === '--warmup') out.warmup = Number(value());
    else if (a === '--checkpoint') out.checkpoint = value();
    else if (a === '--baseline') out.baseline = value();
    else if (a === '--series') {
      const v = value();
      if (v !== 'network' && v !== 'pipeline' && v !== 'both') throw new Error(`--series takes network, pipeline or both, got ${v}`);
      out.series = v === 'both' ? ['network', 'pipeline'] : [v];
    } else if (a === '--deadline-min') out.deadlineMin = Number(value());
    else if (a === '--peers') {
      const list = value();
      const peers = list === 'none' ? [] : list.split(',');
      if (!peers.every((p) => p === 'webgpu' || p === 'wasm')) throw new Error(`--peers takes webgpu, wasm, both (webgpu,wasm) or none, got ${list}`);
      out.peers = peers as ('webgpu' | 'wasm')[];
    }
    else if (a === '--no-peer-dynamic') out.peerDynamic = false;
    else if (a === '--no-sparse') out.sparse = false;
    else if (a === '--port') out.port = Number(value());
    else if (a === '--routers') out.routers = Number(value());
    else if (a === '--images') out.images = Number(value());
    else if (a === '--image') out.imageFiles.push(value());
    else if (a === '--min-size') out.minSize = Number(value());
    else if (a === '--max-size') out.maxSize = Number(value());
    else throw new Error(`unknown argument ${a}`);
  }
  if (out.routers !== undefined && !(Number.isInteger(out.routers) && out.routers >= 1)) throw new Error('--routers must be a positive integer');
  if (out.images !== undefined && !(Number.isInteger(out.images) && out.images >= 1)) throw new Error('--images must be a positive integer');
  for (const [name, v] of [['--min-size', out.minSize], ['--max-size', out.maxSize]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`${name} must be a positive integer`);
  }
  if ((out.minSize !== undefined || out.maxSize !== undefined) && (out.profile !== 'ci' || out.imageFiles.length === 0)) {
    throw new Error('--min-size / --max-size are for the ci profile with --image (the profile images are pre-processed at their own size)');
  }
  if (out.runs !== undefined && !(Number.isInteger(out.runs) && out.runs >= 1)) throw new Error('--runs must be a positive integer');
  if (out.warmup !== undefined && !(Number.isInteger(out.warmup) && out.warmup >= 0)) throw new Error('--warmup must be a non-negative integer');
  return out;
}

const url = (file: string) => `/${path.relative(root, file).split(path.sep).join('/')}`;

function writeAsset(name: string, bytes: Uint8Array | Float32Array): string {
  const file = path.join(assetsDir, name);
  writeFileSync(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return url(file);
}

function convertTwice(checkpoint: Uint8Array, tag: string, overrides: ModelConfigOverrides): SuiteModel[] {
  return (['fixed', 'dynamic'] as const).map((headKind) => {
    const converted = convertCheckpoint(checkpoint, { headKind, config: overrides, fileName: path.basename(tag) });
    return {
      id: headKind,
      label: `${tag} ${headKind === 'fixed' ? 'fixed (dense) head' : 'dynamic head'}`,
      headKind,
      weightsUrl: writeAsset(`${tag}-${headKind}.dhw`, converted.bytes),
      weightsBytes: converted.bytes.byteLength,
    };
  });
}

/** The FCOS baseline head's series: `checkpoint` converted as is (its head kind is inferred). */
function baselineModel(checkpoint: Uint8Array, tag: string, overrides: ModelConfigOverrides): SuiteModel {
  const converted = convertCheckpoint(checkpoint, { config: overrides, fileName: path.basename(tag) });
  if (converted.config.head.kind !== 'fcos') throw new Error(`--baseline ${tag}: expected an FCOS baseline checkpoint, found a ${converted.config.head.kind} head`);
  return { id: 'fcos', label: `${tag} FCOS baseline head`, headKind: 'fcos', weightsUrl: writeAsset(`${tag}-fcos.dhw`, converted.bytes), weightsBytes: converted.bytes.byteLength };
}

/** A weights file as the suite's dynamic model and its fixed-head twin (src/weights/head-variant.ts). */
function weightsTwice(bytes: Uint8Array, tag: string): SuiteModel[] {
  const fixed = fixedHeadVariant(bytes);
  return [
    { id: 'fixed', label: `${tag} fixed (dense) twin`, headKind: 'fixed', weightsUrl: writeAsset(`${tag}-fixed.dhw`, fixed), weightsBytes: fixed.byteLength },
    { id: 'dynamic', label: `${tag} dynamic head`, headKind: 'dynamic', weightsUrl: writeAsset(`${tag}-dynamic.dhw`, bytes), weightsBytes: bytes.byteLength },
  ];
}

/**
 * `--image` files, pre-processed on the CPU exactly as the engine does on the GPU (Pillow
 * BILINEAR resize of the uint8 image, normalise, pad: src/reference/preprocess.ts), NHWC → NCHW.
 */
function fileImages(files: readonly string[], input: InputConfig): SuiteImage[] {
  return files.map((file, i) => {
    const image = decodeImage(new Uint8Array(readFileSync(file)), file);
    const { data, plan } = preprocessRef(image.data, image.height, image.width, input);
    const [ph, pw] = plan.paddedSize;
    const nchw = new Float32Array(3 * ph * pw);
    for (let p = 0; p < ph * pw; p++) {
      for (let c = 0; c < 3; c++) nchw[c * ph * pw + p] = data[p * 3 + c]!;
    }
    const id = `${path.basename(file).replace(/\.[^.]*$/, '')}${files.length > 1 ? `-${i}` : ''}`;
    return { id, rgbaUrl: writeAsset(`image-${id}.rgba`, image.data), width: image.width, height: image.height, inputUrl: writeAsset(`image-${id}.nchw.f32`, nchw), paddedHeight: ph, paddedWidth: pw };
  });
}

/**
 * CI: narrow-d8 reference checkpoint and its fixture images (the reference's own pre-processing).
 * `--checkpoint` puts another model in its place (a checkpoint, converted at `--min-size` /
 * `--max-size` when given, or a `.dhw` file with its fixed twin), `--image` other images.
 */
async function ciAssets(args: Args): Promise<{ models: SuiteModel[]; images: SuiteImage[]; description: string }> {
  const read = nodeFixtureReader();
  const fixture = await loadReferenceFixture('narrow-d8', read);
  if (args.checkpoint) return customCiAssets(args, args.checkpoint);
  const c = fixture.manifest.config;
  const checkpoint = new Uint8Array(await read(fixture.checkpointPath));
  const routers = Math.min(args.routers ?? 2, c.num_routers);
  const input = { minSize: args.minSize ?? c.min_size, maxSize: args.maxSize ?? c.max_size, sizeDivisibility: c.size_divisibility };
  const models = convertTwice(checkpoint, `narrow-d8${routers < c.num_routers ? `-first${routers}` : ''}`, { input, head: { routersPerTower: routers } });
  if (args.baseline !== 'none') {
    // Default: the zoo fixture of the official FCOS R50 layout at narrow-d8's widths (stem 8,
    // res2 16, FPN 32, ResNet-50 blocks), so backbone and FPN are the same work (80 classes
    // instead of 8: its predictor and candidate stages do more).
    const bytes = args.baseline ? readFileSync(args.baseline) : gunzipSync(readFileSync(path.join(root, 'tests/fixtures/zoo/fcos.res50.1x.pth.gz')));
    models.push(baselineModel(new Uint8Array(bytes), args.baseline ? path.basename(args.baseline) : 'zoo-fcos.res50.1x', { input }));
  }
  const fileInput = args.imageFiles.length ? convertCheckpoint(checkpoint, { headKind: 'dynamic', config: { input } }).config.input : undefined;
  const images = fileInput ? fileImages(args.imageFiles, fileInput) : await Promise.all(
    fixture.images.slice(0, args.images ?? 1).map(async (image) => {
      const png = decodeImage(new Uint8Array(await read(image.pngPath)));
      const input = image.tensor('input');
      const [, , ph, pw] = input.shape as [number, number, number, number];
      return {
        id: image.id,
        rgbaUrl: writeAsset(`ci-${image.id}.rgba`, png.data),
        width: png.width,
        height: png.height,
        inputUrl: writeAsset(`ci-${image.id}.nchw.f32`, input.data as Float32Array),
        paddedHeight: ph,
        paddedWidth: pw,
      };
    }),
  );
  return {
    models,
    images,
    description:
      `narrow-d8 reference checkpoint (ResNet-50 layout at 1/16 width: stem 8, FPN ${c.fpn_channels} channels, ${c.num_classes} classes), ` +
      `head ${routers < c.num_routers ? `cut to its first ${routers} of ${c.num_routers} routers per tower (CI size: SwiftShader pays ~10 ms per dispatch; --routers ${c.num_routers} for the whole D${c.num_routers})` : `D${routers}`} on the ${fileInput ? '' : 'fixture '}image(s) ${images.map((im) => `${im.id} ${im.paddedHeight}×${im.paddedWidth}`).join(', ')}` +
      `${models.some((m) => m.headKind === 'fcos') ? `; FCOS baseline: ${models.find((m) => m.headKind === 'fcos')!.label}` : ''}`,
  };
}

/** ci with `--checkpoint`: that model (dynamic and fixed), on `--image` files; an FCOS series only with `--baseline`. */
function customCiAssets(args: Args, file: string): { models: SuiteModel[]; images: SuiteImage[]; description: string } {
  if (args.imageFiles.length === 0) throw new Error('--checkpoint with the ci profile needs --image (the fixture images are pre-processed for narrow-d8)');
  const bytes = new Uint8Array(readFileSync(file));
  const tag = path.basename(file).replace(/\.[^.]*$/, '');
  let models: SuiteModel[];
  let input: InputConfig;
  if (file.endsWith('.dhw')) {
    if (args.minSize !== undefined || args.maxSize !== undefined || args.routers !== undefined) throw new Error('--min-size, --max-size and --routers convert a checkpoint; a .dhw file keeps its own configuration');
    models = weightsTwice(bytes, tag);
    input = readFileHead(bytes).header.config.input;
  } else {
    const overrides: ModelConfigOverrides = {
      ...(args.minSize !== undefined || args.maxSize !== undefined ? { input: { ...(args.minSize !== undefined ? { minSize: args.minSize } : {}), ...(args.maxSize !== undefined ? { maxSize: args.maxSize } : {}) } } : {}),
      ...(args.routers !== undefined ? { head: { routersPerTower: args.routers } } : {}),
    };
    models = convertTwice(bytes, tag, overrides);
    input = convertCheckpoint(bytes, { headKind: 'dynamic', config: overrides }).config.input;
  }
  if (args.baseline && args.baseline !== 'none') models.push(baselineModel(new Uint8Array(readFileSync(args.baseline)), path.basename(args.baseline), { input }));
  const images = fileImages(args.imageFiles, input);
  return { models, images, description: `${path.relative(root, path.resolve(file))} (dynamic and fixed twin) on ${images.map((im) => `${im.id} ${im.height}×${im.width} (padded ${im.paddedHeight}×${im.paddedWidth})`).join(', ')}` };
}

/** A deterministic synthetic scene (gradient background, rectangles, discs), RGBA8. */
function syntheticImage(height: number, width: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const data = new Uint8Array(height * width * 4);
  const shapes = Array.from({ length: 24 }, () => ({
    disc: rand() < 0.5,
    cx: rand() * width,
    cy: rand() * height,
    r: 20 + rand() * Math.min(height, width) * 0.2,
    rgb: [rand() * 255, rand() * 255, rand() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [40 + (180 * x) / width, 60 + (120 * y) / height, 140];
      for (const sh of shapes) {
        const inside = sh.disc ? (x - sh.cx) ** 2 + (y - sh.cy) ** 2 < sh.r ** 2 : Math.abs(x - sh.cx) < sh.r && Math.abs(y - sh.cy) < sh.r * 0.6;
        if (inside) rgb = sh.rgb;
      }
      const o = (y * width + x) * 4;
      data[o] = rgb[0]!;
      data[o + 1] = rgb[1]!;
      data[o + 2] = rgb[2]!;
      data[o + 3] = 255;
    }
  }
  return data;
}

/** Full: full-width R50 D8 checkpoint, synthetic 800×1333 images (no resize needed; CPU pad + normalise). */
async function fullAssets(args: Args): Promise<{ models: SuiteModel[]; images: SuiteImage[]; description: string }> {
  let checkpointPath = args.checkpoint;
  if (!checkpointPath) {
    const dir = path.join(assetsDir, 'reference');
    checkpointPath = path.join(dir, 'full-r50-d8', 'checkpoint.pth');
    if (!existsSync(checkpointPath)) {
      console.log(`generating ${checkpointPath} with tools/reference/make_fixtures.py (once)…`);
      const r = spawnSync('/usr/bin/python3', ['-m', 'tools.reference.make_fixtures', '--config', 'full-r50-d8', '--out', dir], { cwd: root, stdio: 'inherit' });
      if (r.status !== 0 || !existsSync(checkpointPath)) throw new Error('could not generate the full-r50-d8 checkpoint; pass --checkpoint PATH');
    }
  }
  const models = convertTwice(new Uint8Array(readFileSync(checkpointPath)), 'r50-d8', args.routers ? { head: { routersPerTower: args.routers } } : {});
  if (args.baseline && args.baseline !== 'none') models.push(baselineModel(new Uint8Array(readFileSync(args.baseline)), path.basename(args.baseline), {}));
  const config = convertCheckpoint(new Uint8Array(readFileSync(checkpointPath)), { headKind: 'fixed' }).config.input;
  if (args.imageFiles.length) {
    const images = fileImages(args.imageFiles, config);
    return { models, images, description: `full-width ResNet-50 + FPN-256 + D8 head (${path.relative(root, checkpointPath)}) on ${images.map((im) => `${im.id} (padded ${im.paddedHeight}×${im.paddedWidth})`).join(', ')}` };
  }
  const images = [0, 1].slice(0, args.images ?? 2).map((i) => {
    const [height, width] = i === 0 ? [800, 1333] : [1333, 800];
    const rgba = syntheticImage(height, width, 1234 + i);
    const plan = planPreprocess(height, width, config);
    if (plan.resizedSize[0] !== height || plan.resizedSize[1] !== width) throw new Error('synthetic image would be resized');
    const [ph, pw] = plan.paddedSize;
    const nchw = new Float32Array(3 * ph * pw);
    const order = config.format === 'BGR' ? [2, 1, 0] : [0, 1, 2];
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) nchw[(c * ph + y) * pw + x] = (rgba[(y * width + x) * 4 + order[c]!]! - config.pixelMean[c]!) / config.pixelStd[c]!;
      }
    }
    const id = `synthetic-${width}x${height}`;
    return { id, rgbaUrl: writeAsset(`full-${id}.rgba`, rgba), width, height, inputUrl: writeAsset(`full-${id}.nchw.f32`, nchw), paddedHeight: ph, paddedWidth: pw };
  });
  return { models, images, description: `full-width ResNet-50 + FPN-256 + D8 head (${path.relative(root, checkpointPath)}), synthetic images 1333×800 and 800×1333 (padded ${images.map((im) => `${im.paddedHeight}×${im.paddedWidth}`).join(', ')})` };
}

/** The newest bench-results/sparse-*.json (bench/sparse.ts in Node on Dawn), as curves. */
function nodeSparseCurves(): SparseCurve[] {
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => /^sparse-.*\.json$/.test(f)).sort() : [];
  const file = files.at(-1);
  if (!file) return [];
  try {
    const data = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as {
      adapter?: string;
      rows?: { profile: string; op: string; mask: string; density: number; denseMs: number; sparseMs: number; sparseRatio: number }[];
    };
    const groups = new Map<string, { density: number; sparseMs: number; denseMs: number; ratio: number }[]>();
    for (const r of data.rows ?? []) {
      const key = `${r.op}, ${r.mask} mask (${r.profile})`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push({ density: r.density, sparseMs: r.sparseMs, denseMs: r.denseMs, ratio: r.sparseRatio });
    }
    if (groups.size === 0) return [];
    return [
      {
        source: `bench-results/${file}`,
        label: `measured in Node on Dawn (bench/sparse.ts, ${data.adapter ?? 'unknown adapter'}) — not in this browser run`,
        series: [...groups].map(([name, points]) => ({ name, points: points.sort((a, b) => a.density - b.density) })),
      },
    ];
  } catch (error) {
    console.warn(`could not read ${file}: ${String(error)}`);
    return [];
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const started = Date.now();
  mkdirSync(assetsDir, { recursive: true });
  const assets = args.profile === 'ci' ? await ciAssets(args) : await fullAssets(args);
  const request: SuiteRequest = {
    profile: args.profile,
    description: assets.description,
    warmupRuns: args.warmup ?? 3,
    timedRuns: args.runs ?? 20,
    models: assets.models,
    images: assets.images,
    peers: args.peers,
    ourSeries: args.series ?? ['network', 'pipeline'],
    peerDynamic: args.peerDynamic,
    sparseCurve: args.sparse
      ? args.profile === 'ci'
        ? { height: 32, width: 32, channels: 64, densities: [0, 0.1, 0.2, 0.4, 0.6, 0.8, 1], repetitions: 5 }
        : { height: 100, width: 168, channels: 256, densities: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1], repetitions: 9 }
      : null,
    tolerance: 1e-3,
  };
  writeFileSync(path.join(assetsDir, 'request.json'), JSON.stringify(request, null, 1));
  console.log(`profile ${args.profile}: ${assets.description}`);

  // Vite serves the page, the worker and the assets; cross-origin isolation lets ORT's wasm
  // backend use threads; onnxruntime-web is served as is (its wasm sits next to its module).
  const server = await createServer({
    root,
    logLevel: 'warn',
    server: {
      host: '127.0.0.1',
      port: args.port,
      strictPort: false,
      hmr: false,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    optimizeDeps: { exclude: ['onnxruntime-web'] },
  });
  await server.listen();
  const address = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${args.port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  let workerResult: WorkerResult | undefined;
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${address.replace(/\/$/, '')}/e2e/bench/index.html?request=${encodeURIComponent(url(path.join(assetsDir, 'request.json')))}`);
    let seen = 0;
    const deadline = Date.now() + (args.deadlineMin ?? (args.profile === 'ci' ? 20 : 360)) * 60_000;
    for (;;) {
      const messages = (await page.evaluate(() => window.suite?.messages ?? [])) as SuiteMessage[];
      for (const m of messages.slice(seen)) {
        const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
        if (m.type === 'progress') console.log(`[${t} s] ${m.text}`);
        else if (m.type === 'fatal') throw new Error(`benchmark failed in the browser: ${m.message}`);
        else workerResult = m.result;
      }
      seen = messages.length;
      if (workerResult) break;
      if (Date.now() > deadline) throw new Error('benchmark timed out');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    const version = browser.version();
    await browser.close();
    await server.close();
    if (workerResult) {
      const { models, images, ...rest } = request;
      const result: BenchResult = {
        kind: 'dynamic-head-webgpu browser benchmark',
        version: 1,
        profile: args.profile,
        description: assets.description,
        startedAt: new Date(started).toISOString(),
        durationS: (Date.now() - started) / 1000,
        browser: { name: 'Chromium (Debian)', version, args: CHROMIUM_ARGS },
        machine: {
          platform: `${os.type()} ${os.release()} ${os.arch()}`,
          cpus: os.cpus()[0]?.model ?? 'unknown',
          cores: os.cpus().length,
          memoryGiB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
        },
        request: { ...rest, models: models.map((m) => `${m.label} (${(m.weightsBytes / 1e6).toFixed(2)} MB)`), images: images.map((im) => `${im.id} ${im.width}×${im.height} → ${im.paddedHeight}×${im.paddedWidth}`) },
        ...workerResult,
        sparse: [...workerResult.sparse, ...nodeSparseCurves()],
      };
      const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
      const base = path.join(resultsDir, `bench-${args.profile}-${stamp}`);
      writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 1)}\n`);
      writeFileSync(`${base}.html`, renderReport(result));
      console.log(`\n${ratioRows(result).map(formatRatio).join('\n')}`);
      for (const a of result.agreement) console.log(`agreement ${a.peer}/${a.config}/${a.image}: ${a.worstRelative.toExponential(2)} (${a.worstTensor}) ${a.pass ? 'ok' : 'FAIL'}`);
      if (result.errors.length) console.log(`errors:\n  ${result.errors.join('\n  ')}`);
      console.log(`\nwrote ${path.relative(root, base)}.json and .html in ${result.durationS.toFixed(0)} s`);
    }
  }
  const failed = !workerResult || workerResult.errors.length > 0 || workerResult.agreement.some((a) => !a.pass);
  return failed ? 1 : 0;
}
