import { defineConfig, type Plugin } from 'vite';

/** `/` opens the demo, so the quick-start URL is just the server's address. */
function demoAtRoot(): Plugin {
  return {
    name: 'demo-at-root',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url === '/' || req.url === '/index.html') {
          res.statusCode = 302;
          res.setHeader('Location', '/demo/');
          res.end();
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [demoAtRoot()],
  // WebGPU needs a secure context: serve on loopback, never on a LAN address.
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  // Scan only the pages this server hosts (the e2e fixture app is a separate Vite app) and
  // pre-bundle comlink up front, so a first visit never triggers a dependency re-optimisation reload.
  optimizeDeps: { entries: ['demo/index.html', 'e2e/harness/index.html', 'e2e/lifecycle/index.html'], include: ['comlink'] },
  worker: { format: 'es' },
  // `npm run build:demo`: the demo as a static site in dist-demo/ (default weights copied as an asset).
  build: { target: 'es2022', outDir: 'dist-demo', rollupOptions: { input: { demo: 'demo/index.html' } } },
});
