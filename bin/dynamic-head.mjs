#!/usr/bin/env node
// The `dynamic-head` command: runs src/cli/main.ts through Vite's module runner (see
// scripts/run-module.mjs) and exits with its code.
import path from 'node:path';
import { ROOT, runModule } from '../scripts/run-module.mjs';

process.exit(await runModule(path.join(ROOT, 'src/cli/main.ts'), process.argv.slice(2)));
