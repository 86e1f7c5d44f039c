#!/usr/bin/env node
// Runs a TypeScript entry point through Vite's module runner, so Node code sees exactly what the
// browser build sees (including `import.meta.glob` of shaders/*.wgsl). Usage:
//   node scripts/run-ts.mjs <module.ts> [args...]   — calls the module's exported `main(args)`.
// The runner stays open until main() returns: dynamic imports inside main (e.g. node-gpu.ts
// loading Dawn) go through it too, and Vite's one-shot `runnerImport` closes it right away.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createServer, createServerModuleRunner } from 'vite';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts <module.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  optimizeDeps: { noDiscovery: true, include: [] },
});
let code = 0;
try {
  const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
  const module = await runner.import(path.resolve(entry));
  if (typeof module.main !== 'function') {
    console.error(`${entry} exports no main(args)`);
    code = 2;
  } else {
    const result = await module.main(args);
    code = typeof result === 'number' ? result : 0;
  }
} finally {
  await server.close();
}
process.exit(code);
