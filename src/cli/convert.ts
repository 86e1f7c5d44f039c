/**
 * `dynamic-head convert <checkpoint> -o <out.dhw> [--fp16]`: converts a cvpods/Detectron2
 * checkpoint (.pth zip or legacy, .pkl) to the engine's weights file. Node only.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamicHeadError } from '../errors';
import type { GateActivation, HeadKind, InputFormat, ModelConfigOverrides } from '../weights/config';
import { convertCheckpoint, type ConversionResult } from '../weights/convert';
import { readLabelsFile } from './files';
import { parseCommand } from './parse-command';
import { ProgressBar } from './progress-bar';

export const CONVERT_USAGE = `usage: dynamic-head convert <checkpoint.pth|.pkl> [-o out.dhw] [options]

Converts a cvpods / Detectron2 FCOS checkpoint (dynamic head, official Fix head or the plain FCOS
baseline head; PyTorch zip or legacy .pth, or a
pickle of numpy arrays) into a .dhw weights file. Unpickling is whitelisted: a checkpoint that
references any other Python global is refused and nothing in it is executed.

options:
  -o, --output <file>       output path (default: the input name with .dhw)
      --fp16                store conv weights as f16 (biases, norms, scalars stay f32)
      --labels <file>       class names to record (JSON array or one per line; default: the 80
                            COCO names for an 80-class checkpoint, none otherwise)
      --head <kind>         dynamic | fixed | fcos (default: inferred from the names: dynamic if
                            gate parameters exist, fcos for an FCOSHead checkpoint)
      --gate <act>          geretanh | retanh | sigmoid (default geretanh)
      --tau <x>             gate tau (default 1.5)
      --input-format <f>    BGR | RGB (default BGR)
      --min-size <n>        shorter side after resizing (default 800)
      --max-size <n>        longer side cap (default 1333)
      --score-thresh <x>    default 0.05
      --topk <n>            candidates per level before NMS (default 1000)
      --nms-thresh <x>      default 0.6
      --max-detections <n>  default 100
      --stride-in-3x3       the ResNet stride sits in the 3x3 conv (default: in the first 1x1)
      --progress            always draw the progress bar (default: only on a terminal)
      --quiet               print nothing but errors
      --json                print a JSON summary on stdout
  -h, --help`;

export async function runConvert(args: readonly string[]): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      output: { type: 'string', short: 'o' },
      fp16: { type: 'boolean' },
      head: { type: 'string' },
      gate: { type: 'string' },
      tau: { type: 'string' },
      'input-format': { type: 'string' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      'score-thresh': { type: 'string' },
      topk: { type: 'string' },
      'nms-thresh': { type: 'string' },
      'max-detections': { type: 'string' },
      'stride-in-3x3': { type: 'boolean' },
      progress: { type: 'boolean' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      labels: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    CONVERT_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`expected exactly one input checkpoint\n\n${CONVERT_USAGE}\n`);
    return 2;
  }
  const input = positionals[0];
  const output = v.output ?? input.replace(/(\.pth|\.pkl|\.pt|\.ckpt)?$/i, '.dhw');
  let overrides: ModelConfigOverrides;
  let headKind: HeadKind | undefined;
  try {
    headKind = oneOf<HeadKind>(v.head?.toLowerCase(), ['dynamic', 'fixed', 'fcos'], '--head');
    overrides = {
      backbone: v['stride-in-3x3'] ? { strideIn1x1: false } : {},
      head: defined({ gateActivation: oneOf<GateActivation>(v.gate?.toLowerCase(), ['geretanh', 'retanh', 'sigmoid'], '--gate'), gateTau: num(v.tau, '--tau') }),
      input: defined({
        format: oneOf<InputFormat>(v['input-format']?.toUpperCase(), ['BGR', 'RGB'], '--input-format'),
        minSize: num(v['min-size'], '--min-size'),
        maxSize: num(v['max-size'], '--max-size'),
      }),
      test: defined({
        scoreThresh: num(v['score-thresh'], '--score-thresh'),
        topkCandidates: num(v.topk, '--topk'),
        nmsThresh: num(v['nms-thresh'], '--nms-thresh'),
        maxDetections: num(v['max-detections'], '--max-detections'),
      }),
    };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }

  const bar = new ProgressBar(process.stderr, !v.quiet && (v.progress === true || process.stderr.isTTY === true));
  const started = performance.now();
  let result: ConversionResult;
  try {
    const classNames = v.labels === undefined ? undefined : readLabelsFile(v.labels);
    const bytes = readFileSync(input);
    bar.update(0, 1, 'reading checkpoint');
    result = convertCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      fp16: v.fp16,
      headKind,
      config: overrides,
      classNames,
      fileName: path.basename(input),
      onProgress: (p) => {
        if (p.stage === 'tensors') bar.update(p.done, p.total, `${p.done}/${p.total} tensors`);
      },
    });
    bar.finish();
    // Write next to the target, then rename: a failed run never leaves a half-written file.
    const temporary = `${output}.partial`;
    try {
      writeFileSync(temporary, result.bytes);
      renameSync(temporary, output);
    } catch (e) {
      try {
        unlinkSync(temporary);
      } catch {
        // nothing to clean up
      }
      throw e;
    }
  } catch (e) {
    bar.finish();
    const message = e instanceof DynamicHeadError ? `${e.name}: ${e.message}` : `error: ${(e as Error).message}`;
    process.stderr.write(`${message}\n`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const c = result.config;
  const summary = {
    input,
    output,
    format: result.format,
    bytes: result.bytes.length,
    tensors: result.header.tensors.length,
    fp16: v.fp16 === true,
    seconds: Number(seconds.toFixed(3)),
    config: c,
    unexpected: result.unexpected,
    warnings: result.warnings,
  };
  if (v.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (!v.quiet) {
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(
      `wrote ${output}: ${summary.tensors} tensors, ${(summary.bytes / 2 ** 20).toFixed(1)} MiB` +
        `${summary.fp16 ? ' (f16 conv weights)' : ''} in ${seconds.toFixed(2)} s — ResNet-${c.backbone.depth}, ` +
        `FPN ${c.fpn.channels}, ${c.head.kind} head D${c.head.routersPerTower}${c.head.kind === 'fcos' ? ` (${2 * c.head.routersPerTower} convs a tower)` : ''}, ${c.head.numClasses} classes ` +
        `(from ${result.format})\n`,
    );
  }
  return 0;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} expects a number, got "${value}"`);
  return n;
}

/** Drops undefined entries so they do not override defaults. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}
