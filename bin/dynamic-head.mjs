#!/usr/bin/env node
// The `dynamic-head` command: runs src/cli/main.ts through Vite's module runner (the same way as
// scripts/run-ts.mjs, so `?raw` imports resolve as in the browser build) and exits with its code.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runnerImport } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { module } = await runnerImport(path.join(root, 'src/cli/main.ts'), { root, configFile: false, logLevel: 'error' });
const code = await module.main(process.argv.slice(2));
process.exit(typeof code === 'number' ? code : 0);
