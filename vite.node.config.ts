import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };

/**
 * The Node half of the package, as plain JavaScript: `dist/node/index.js` (createDetector on
 * Dawn, in-process) and `dist/node/cli.js` (the `dynamic-head` command's main). Shaders are
 * inlined (import.meta.glob is resolved here); the package's dependencies and the optional
 * `webgpu` peer stay imports, installed next to the package. No TypeScript, Vite or scripts/ are
 * needed at run time.
 */
const external = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...Object.keys(pkg.dependencies), 'webgpu'];

export default defineConfig({
  publicDir: false,
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist/node',
    emptyOutDir: true,
    sourcemap: true,
    copyPublicDir: false,
    rollupOptions: {
      input: { index: 'src/node/index.ts', cli: 'src/cli/main.ts' },
      external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
