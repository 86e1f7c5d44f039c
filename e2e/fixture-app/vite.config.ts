import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// A stand-alone consumer app: it resolves `dynamic-head-webgpu` through node_modules (a link to
// the repository, created by the e2e test) to the built dist/.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  // No SPA fallback: a missing file is a 404, as on a static host.
  appType: 'mpa',
  logLevel: 'warn',
  // Vite's dependency pre-bundling would move the package away from its worker chunk in dev.
  optimizeDeps: { exclude: ['dynamic-head-webgpu'] },
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../../test-results/fixture-app-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // index.html: the API tour; csp.html: the same package under a strict Content-Security-Policy.
    rollupOptions: { input: { index: fileURLToPath(new URL('index.html', import.meta.url)), csp: fileURLToPath(new URL('csp.html', import.meta.url)) } },
  },
  preview: { host: '127.0.0.1', strictPort: true },
});
