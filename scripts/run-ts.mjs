#!/usr/bin/env node
// Runs a TypeScript entry point's exported `main(args)` through Vite's module runner:
//   node scripts/run-ts.mjs <module.ts> [args...]
import { runModule } from './run-module.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts <module.ts> [args...]');
  process.exit(2);
}
process.exit(await runModule(entry, args));
