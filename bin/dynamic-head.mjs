#!/usr/bin/env node
// The `dynamic-head` command. In the published package it runs the built JavaScript
// (dist/node/cli.js, made by `npm run build:node`); in a checkout of the repository it runs
// src/cli/main.ts through Vite's module runner (scripts/run-module.mjs), so edits need no build.
// DYNAMIC_HEAD_CLI=dist forces the built one.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runner = path.join(root, 'scripts/run-module.mjs');
const source = path.join(root, 'src/cli/main.ts');
const args = process.argv.slice(2);

if (process.env.DYNAMIC_HEAD_CLI !== 'dist' && existsSync(runner) && existsSync(source)) {
  const { runModule } = await import(pathToFileURL(runner).href);
  process.exit(await runModule(source, args));
}
const built = path.join(root, 'dist/node/cli.js');
if (!existsSync(built)) {
  process.stderr.write(`dynamic-head: ${built} is missing (run \`npm run build:node\`)\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(built).href);
process.exit(await main(args));
