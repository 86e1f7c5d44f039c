/**
 * `dynamic-head detect <weights.dhw> <image...>`: runs the engine on WebGPU in Node (Dawn; on
 * SwiftShader without a GPU) and prints detections. `--dump DIR` writes the intermediate tensors
 * in the reference's golden-file layout (NCHW f32 + manifest.json) so they can be diffed against
 * tools/reference output.
 */
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DynamicHeadError } from '../errors';
import { createNodeRuntime } from '../gpu/node-gpu';
import type { DetectionResult } from '../model/engine';
import { DetectorEngine, LEVEL_NAMES } from '../model/engine';
import { parsePreamble, PREAMBLE_BYTES, readFileHead } from '../weights/format';
import { annotateRgba } from '../render/annotate-rgba';
import { fileSize, outputPaths, readLabelsFile } from './files';
import { readImageFile, writePngFile } from './image';
import { parseCommand } from './parse-command';

export const DETECT_USAGE = `usage: dynamic-head detect <weights.dhw> <image.png|.jpg> [more images] [options]

Runs the detector on WebGPU (Dawn in Node; SwiftShader when there is no GPU) and prints the
detections in original-image pixels.

options:
      --json                print one JSON object per image on stdout (detections, timings,
                            per-router and per-gate densities, executed vs dense head MACs)
      --min-size <n>        shorter side after resizing (default: the weights file's)
      --max-size <n>        longer side cap (default: the weights file's)
      --score-thresh <x>    score threshold in [0, 1] (default 0.4, the demo's); "file" uses the
                            weights file's (the official evaluation setting, 0.05)
      --labels <file>       class names (JSON array or one per line) instead of the weights
                            file's
  -o, --output <path>       also write each image as a PNG with its boxes and labels drawn: a
                            .png file for one image, else a folder (created if needed) that
                            gets <image name>.png per image
      --dump <dir>          write FPN outputs, gate maps, router and head outputs as raw f32
                            (NCHW) + manifest.json, named like the reference's golden files
      --stats               print timings on stderr: load (weights, compile), then per image
                            compile, pre-process, GPU (by stage), post-process, and the
                            planned GPU memory; at the end the process's peak resident memory
      --crossover <x>       density above which the head's sparse convs run dense: a fraction,
                            table (per kind of adapter; default) or measure (timed at load)
  -h, --help                with a weights file: also print its sizes, threshold and classes

exit codes: 0 done; 1 a runtime failure (unreadable or invalid weights or image, no WebGPU
adapter, device lost), named on one line on stderr; 2 a usage error.`;

/** The score threshold the CLI and the demo start from (the weights' 0.05 is for evaluation). */
export const DEFAULT_SCORE_THRESHOLD = 0.4;

/** A weights file's preamble and header (not its tensors). */
function readFileStart(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const read = (n: number) => {
      const bytes = new Uint8Array(n);
      return bytes.subarray(0, readSync(fd, bytes, 0, n, 0));
    };
    const first = read(PREAMBLE_BYTES);
    return read(parsePreamble(first).dataStart);
  } finally {
    closeSync(fd);
  }
}

/** `detect <weights> --help`: what that file sets (sizes, threshold, classes), from its header. */
function describeWeightsFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    const { header } = readFileHead(readFileStart(file));
    const c = header.config;
    const names = header.classNames ? header.classNames.join(', ') : 'none recorded (shown as "class <id>")';
    return (
      `${file}: ${c.architecture}, ${c.head.kind} head, ${c.head.numClasses} classes\n` +
      `  --min-size default ${c.input.minSize}, --max-size default ${c.input.maxSize}, the file's score threshold ${c.test.scoreThresh}\n` +
      `  classes: ${names}`
    );
  } catch (error) {
    return `${file}: ${error instanceof DynamicHeadError ? error.message : String(error)}`;
  }
}

/** NHWC [1, H, W, C] → NCHW. */
function toNchw(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[ch * h * w + p] = data[p * c + ch]!;
  return { data: out, shape: [n, c, h, w] };
}

function dump(dir: string, id: string, imagePath: string, result: DetectionResult): Record<string, unknown> {
  const network = result.taps!;
  const tensors: { name: string; shape: number[]; data: Float32Array | Int32Array }[] = [];
  for (const [name, tap] of network.taps) tensors.push({ name, ...toNchw(tap.data, tap.shape) });
  network.levels.forEach((level, l) => {
    const p = LEVEL_NAMES[l];
    const k = level.clsLogits.length / (level.height * level.width);
    tensors.push({ name: `head.cls_logits.${p}`, ...toNchw(level.clsLogits, [1, level.height, level.width, k]) });
    tensors.push({ name: `head.bbox_reg.${p}`, ...toNchw(level.bboxReg, [1, level.height, level.width, 4]) });
    tensors.push({ name: `head.centerness.${p}`, ...toNchw(level.centerness, [1, level.height, level.width, 1]) });
  });
  const dets = result.detections;
  tensors.push({ name: 'detections.boxes', shape: [dets.length, 4], data: Float32Array.from(dets.flatMap((d) => [...d.box])) });
  tensors.push({ name: 'detections.scores', shape: [dets.length], data: Float32Array.from(dets.map((d) => d.score)) });
  tensors.push({ name: 'detections.classes', shape: [dets.length], data: Int32Array.from(dets.map((d) => d.classId)) });
  const file = `${id}.bin`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const entries = tensors.map((t) => {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    chunks.push(bytes);
    const entry = { name: t.name, file, offset, nbytes: bytes.byteLength, shape: t.shape, dtype: t.data instanceof Int32Array ? 'int32' : 'float32' };
    offset += bytes.byteLength;
    return entry;
  });
  writeFileSync(path.join(dir, file), Buffer.concat(chunks));
  return {
    id,
    source: imagePath,
    original_size: result.sizes.original,
    resized_size: result.sizes.resized,
    padded_size: result.sizes.padded,
    gate_densities: Object.fromEntries([...network.taps].filter(([n]) => n.includes('.gate.')).map(([n, t]) => [n, t.data.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / t.data.length])),
    tensors: entries,
  };
}

export async function runDetect(args: readonly string[]): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      json: { type: 'boolean' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      'score-thresh': { type: 'string' },
      dump: { type: 'string' },
      stats: { type: 'boolean' },
      crossover: { type: 'string' },
      labels: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    DETECT_USAGE,
    { onHelp: (positionals) => describeWeightsFile(positionals[0]) },
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [weightsPath, ...images] = positionals;
  if (!weightsPath || images.length === 0) {
    process.stderr.write(`${DETECT_USAGE}\n`);
    return 2;
  }
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new DynamicHeadError('INVALID_ARGUMENT', `--${name} must be a positive integer, got ${v}`);
    return n;
  };
  let runtime;
  try {
    const minSize = int('min-size', values['min-size']);
    const maxSize = int('max-size', values['max-size']);
    const threshArg = values['score-thresh'];
    const scoreThreshold = threshArg === 'file' ? undefined : threshArg === undefined ? DEFAULT_SCORE_THRESHOLD : Number(threshArg);
    if (scoreThreshold !== undefined && !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
      throw new DynamicHeadError('INVALID_ARGUMENT', `--score-thresh must be a number in [0, 1] or "file", got ${threshArg}`);
    }
    const labelsOverride = values.labels === undefined ? undefined : readLabelsFile(values.labels);
    const size = fileSize(weightsPath, 'the weights file');
    for (const image of images) fileSize(image, 'the image');
    const outputs = values.output === undefined ? undefined : outputPaths(values.output, images);
    const numClasses = readFileHead(readFileStart(weightsPath)).header.config.head.numClasses;
    if (labelsOverride && labelsOverride.length !== numClasses) {
      throw new DynamicHeadError('INVALID_ARGUMENT', `--labels ${values.labels} has ${labelsOverride.length} names for a ${numClasses}-class model`);
    }
    runtime = await createNodeRuntime();
    const stream = Readable.toWeb(createReadStream(weightsPath)) as ReadableStream<Uint8Array>;
    const crossoverArg = values.crossover;
    const crossover = crossoverArg === undefined || crossoverArg === 'table' || crossoverArg === 'measure' ? crossoverArg : Number(crossoverArg);
    // The plan is compiled while loading, for the first image's size (warm start).
    const first = await readImageFile(images[0]!);
    const t0 = performance.now();
    const engine = await DetectorEngine.load(runtime, stream, {
      input: { ...(minSize ? { minSize } : {}), ...(maxSize ? { maxSize } : {}) },
      crossover,
      warmup: { height: first.height, width: first.width, taps: values.dump !== undefined },
    });
    if (values.stats) {
      const t = engine.loadTimings;
      process.stderr.write(
        `load: ${(performance.now() - t0).toFixed(0)} ms = weights ${t.weightsMs.toFixed(0)} ms (${(size / 2 ** 20).toFixed(1)} MiB)` +
          `${t.calibrateMs >= 1 ? ` + crossover calibration ${t.calibrateMs.toFixed(0)} ms` : ''} + compile ${t.compileMs.toFixed(0)} ms ` +
          `(plan for ${engine.warmInputSize?.join('×') ?? '–'}); sparse crossover ${engine.execution.crossover.toFixed(3)}\n`,
      );
    }
    const labels = Array.from({ length: numClasses }, (_, k) => labelsOverride?.[k] ?? engine.classNames?.[k] ?? `class ${k}`);
    const manifestImages: Record<string, unknown>[] = [];
    if (values.dump) mkdirSync(values.dump, { recursive: true });
    for (const [index, imagePath] of images.entries()) {
      const image = index === 0 ? first : await readImageFile(imagePath);
      const t1 = performance.now();
      const result = await engine.detect(image, { scoreThreshold, returnTaps: values.dump !== undefined });
      const wall = performance.now() - t1;
      const id = path.basename(imagePath).replace(/\.[^.]+$/, '');
      if (values.dump) manifestImages.push(dump(values.dump, id, imagePath, result));
      const detections = result.detections.map((d) => ({ ...d, label: labels[d.classId]! }));
      const output = outputs?.[index];
      if (output) {
        // The image is not needed after this: draw into its pixels rather than a copy.
        annotateRgba(image, detections);
        writePngFile(output, image);
      }
      if (values.json) {
        const { sizes, timings, routerDensities, gateDensities, macs, readbackBytes } = result;
        process.stdout.write(`${JSON.stringify({ image: imagePath, ...(output ? { output } : {}), sizes, timings, readbackBytes, detections, routerDensities, gateDensities, macs })}\n`);
      } else {
        process.stdout.write(`${imagePath}: ${result.detections.length} detections (${image.width}×${image.height}, input ${result.sizes.padded.join('×')})\n`);
        const width = Math.max(0, ...detections.map((d) => d.label.length));
        for (const d of detections) {
          process.stdout.write(`  ${d.label.padEnd(width)}  (class ${d.classId})  score ${d.score.toFixed(4)}  box [${d.box.map((v) => v.toFixed(1)).join(', ')}]\n`);
        }
        if (output) process.stdout.write(`  annotated: ${output}\n`);
      }
      if (values.stats) {
        const stats = await engine.prepare(result.sizes.padded[0], result.sizes.padded[1]);
        const t = result.timings;
        process.stderr.write(
          `${id}: detect ${wall.toFixed(0)} ms: compile ${t.compileMs.toFixed(0)} ms, pre-process ${t.preprocessMs.toFixed(1)} ms, ` +
            `GPU ${t.gpuMs.toFixed(0)} ms (${t.gpuTimer}: ${Object.entries(t.gpuStages).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}), ` +
            `post-process ${t.postprocessMs.toFixed(1)} ms; read back ${(result.readbackBytes / 1024).toFixed(1)} KiB (candidates on the ${result.candidateSelection}); planned activations ${(stats.plannedBytes / 2 ** 20).toFixed(1)} MiB ` +
            `vs ${(stats.naiveBytes / 2 ** 20).toFixed(1)} MiB naive; ${stats.nodes} nodes\n`,
        );
      }
    }
    if (values.dump) {
      writeFileSync(
        path.join(values.dump, 'manifest.json'),
        JSON.stringify({ format_version: 1, generator: 'dynamic-head-webgpu detect --dump', layout: 'NCHW', config: engine.config, images: manifestImages }, null, 1),
      );
    }
    engine.dispose();
    if (values.stats) process.stderr.write(`peak resident memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
    return 0;
  } catch (error) {
    const message = error instanceof DynamicHeadError ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`dynamic-head detect: ${message}\n`);
    return 1;
  } finally {
    runtime?.destroy();
  }
}
