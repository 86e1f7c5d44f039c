#!/usr/bin/env node
// Writes the demo's default weights, weights/default/model.dhw (+ labels.json), from the reference
// fixture checkpoint tests/fixtures/reference/narrow-d4/checkpoint.pth: a narrow FCOS + dynamic
// head D4 with 8 classes and *untrained* (seeded random) weights, with input 128..192 px so that
// even a software WebGPU adapter runs it in a few seconds. A trained model replaces it later.
//   node scripts/make-default-weights.mjs [--out weights/default]
// Runs itself through scripts/run-ts.mjs so that it can import the TypeScript converter.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKPOINT = 'tests/fixtures/reference/narrow-d4/checkpoint.pth';
// Placeholders: the checkpoint is untrained, so these names mean nothing yet.
const LABELS = ['circle', 'square', 'triangle', 'cross', 'ring', 'bar', 'blob', 'stripe'];

export async function main(args) {
  const outIndex = args.indexOf('--out');
  const outDir = path.resolve(root, outIndex >= 0 ? args[outIndex + 1] : 'weights/default');
  const { convertCheckpoint } = await import(path.join(root, 'src/weights/convert.ts'));
  const converted = convertCheckpoint(readFileSync(path.join(root, CHECKPOINT)), {
    fileName: 'narrow-d4/checkpoint.pth',
    config: {
      input: { minSize: 128, maxSize: 192 },
      test: { scoreThresh: 0.05, topkCandidates: 1000, nmsThresh: 0.6, maxDetections: 100 },
    },
  });
  const classes = converted.config.head.numClasses;
  if (classes !== LABELS.length) throw new Error(`expected ${LABELS.length} classes, the checkpoint has ${classes}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'model.dhw'), converted.bytes);
  writeFileSync(path.join(outDir, 'labels.json'), `${JSON.stringify(LABELS, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, outDir)}/model.dhw (${converted.bytes.length} bytes, ${classes} classes) and labels.json`);
  return 0;
}

// Run directly: hand over to the TypeScript runner, which imports this file and calls main().
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/run-ts.mjs'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
