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
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
