#!/usr/bin/env node
// Runs a TypeScript entry point through Vite's module runner, so Node code sees exactly what the
// browser build sees (including `import.meta.glob` of shaders/*.wgsl). Usage:
//   node scripts/run-ts.mjs <module.ts> [args...]   — calls the module's exported `main(args)`.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runnerImport } from 'vite';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts <module.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { module } = await runnerImport(path.resolve(entry), { root, configFile: false, logLevel: 'error' });
if (typeof module.main !== 'function') {
  console.error(`${entry} exports no main(args)`);
  process.exit(2);
}
const code = await module.main(args);
process.exit(typeof code === 'number' ? code : 0);
