#!/usr/bin/env node
// Upgrades a .dhw weights file to the current format version (2: header checksum), keeping the
// header fields and every tensor byte; each tensor's CRC is checked first. For files converted
// before version 2 whose checkpoint is not at hand (otherwise re-convert it).
//   node scripts/reencode-weights.mjs IN.dhw [OUT.dhw] [--labels names.json]   (OUT defaults to IN, replaced)
// --labels records these class names (a JSON array, one per class) in the header.
// Runs itself through scripts/run-ts.mjs so that it can import the TypeScript format code.
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function main(args) {
  const at = args.indexOf('--labels');
  const labelsFile = at >= 0 ? args[at + 1] : undefined;
  const files = at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
  const [input, output = input] = files;
  if (!input || (at >= 0 && !labelsFile)) {
    console.error('usage: node scripts/reencode-weights.mjs IN.dhw [OUT.dhw] [--labels names.json]');
    return 2;
  }
  const { reencodeWeights } = await import(path.join(root, 'src/weights/reencode.ts'));
  const before = new Uint8Array(readFileSync(input));
  const classNames = labelsFile ? JSON.parse(readFileSync(labelsFile, 'utf8')) : undefined;
  const { bytes, fromVersion, header } = reencodeWeights(before, { classNames });
  const temporary = `${output}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, output);
  console.log(
    `${input} (format version ${fromVersion}, ${before.length} bytes) → ${output} (version 2, ${bytes.length} bytes): ` +
      `${header.tensors.length} tensors, ${header.dataLength} data bytes copied unchanged`,
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
