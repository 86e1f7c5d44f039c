// Runs a TypeScript module's exported `main(args)` through Vite's module runner, so Node code
// sees exactly what the browser build sees (including `import.meta.glob` of shaders/*.wgsl).
// The runner stays open until main() returns: dynamic imports inside main (e.g. node-gpu.ts
// loading Dawn) go through it too, whereas Vite's one-shot `runnerImport` closes it right away.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, createServerModuleRunner } from 'vite';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Imports `entry` (a path) and returns the exit code of its `main(args)`. */
export async function runModule(entry, args) {
  const server = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  try {
    const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
    const module = await runner.import(path.resolve(entry));
    if (typeof module.main !== 'function') {
      console.error(`${entry} exports no main(args)`);
      return 2;
    }
    const result = await module.main(args);
    return typeof result === 'number' ? result : 0;
  } finally {
    await server.close();
  }
}
