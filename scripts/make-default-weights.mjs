#!/usr/bin/env node
// Writes the demo's default weights, weights/default/model.dhw (+ labels.json), from the model
// trained on the synthetic shapes dataset (tools/train/README.md: dataset seed 2024, training
// seed 7): ResNet-26 layout, FPN/head 64, dynamic head D4, 6 classes, input 160 px. The
// checkpoint itself (8 MB, cvpods layout) is not in git; it is reproducible with the commands in
// tools/train/README.md, and this script reads it together with the config.json that train.py
// writes beside it (class names, input size, test thresholds).
//   node scripts/make-default-weights.mjs [--checkpoint /tmp/dh-train/latest.pth]
//                                         [--config <checkpoint dir>/config.json] [--out weights/default] [--f32]
// Conv weights are stored as f16 (4 MB instead of 8 MB; biases, norms and scalars stay f32):
// the engine computes in f32 either way, and the val mAP is the same (tools/train/README.md).
// Runs itself through scripts/run-ts.mjs so that it can import the TypeScript converter.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

export async function main(args) {
  const checkpoint = path.resolve(option(args, '--checkpoint', '/tmp/dh-train/latest.pth'));
  const configPath = path.resolve(option(args, '--config', path.join(path.dirname(checkpoint), 'config.json')));
  const outDir = path.resolve(root, option(args, '--out', 'weights/default'));
  const fp16 = !args.includes('--f32');
  const training = JSON.parse(readFileSync(configPath, 'utf8'));
  const model = training.model_config;
  const labels = [...training.classes].sort((a, b) => a.index - b.index).map((c) => c.name);
  const bytes = readFileSync(checkpoint);
  const { convertCheckpoint } = await import(path.join(root, 'src/weights/convert.ts'));
  const converted = convertCheckpoint(bytes, {
    fileName: path.basename(checkpoint),
    fp16,
    classNames: labels,
    config: {
      input: { minSize: model.min_size, maxSize: model.max_size },
      test: {
        scoreThresh: model.score_thresh,
        topkCandidates: model.topk_candidates,
        nmsThresh: model.nms_thresh,
        maxDetections: model.max_detections,
      },
    },
  });
  const classes = converted.config.head.numClasses;
  if (classes !== labels.length) throw new Error(`${configPath} names ${labels.length} classes, the checkpoint has ${classes}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'model.dhw'), converted.bytes);
  writeFileSync(path.join(outDir, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  console.log(
    `wrote ${path.relative(root, outDir)}/model.dhw (${converted.bytes.length} bytes, ${fp16 ? 'f16' : 'f32'} conv weights, ` +
      `${classes} classes, from ${path.basename(checkpoint)} sha256 ${sha.slice(0, 16)}…, iteration ${training.iteration ?? '?'}) and labels.json`,
  );
  return 0;
}

// Run directly: hand over to the TypeScript runner, which imports this file and calls main().
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/run-ts.mjs'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
