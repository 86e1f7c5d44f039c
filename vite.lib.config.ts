import { defineConfig } from 'vite';

/**
 * The embeddable ES module: `dist/index.js` (the API, comlink, the typed errors) plus the engine
 * worker as its own chunk under `dist/assets/`, referenced with `new URL(..., import.meta.url)` so
 * that an app's bundler copies it along. Shaders are inlined into the worker; weights are not
 * bundled (the app passes a URL). Types: `tsc -p tsconfig.lib.json` writes `dist/types/`.
 */
export default defineConfig({
  // Relative asset URLs: the worker chunk is found next to index.js wherever the package lives.
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    copyPublicDir: false,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: 'index',
    },
  },
});
