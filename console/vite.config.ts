import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The Stoa console: built into console/dist, which the server serves from `/`. */
export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    // `npm run console:dev`: the page hot-reloads, every API call goes to a Stoa on :5000.
    proxy: {
      ...Object.fromEntries(
        ['/api', '/avatar', '/nfs', '/user', '/v1', '/console/config.json', '/healthz'].map((p) => [p, 'http://127.0.0.1:5000']),
      ),
      '/ws': { target: 'ws://127.0.0.1:5000', ws: true },
      '/socket.io': { target: 'http://127.0.0.1:5000', ws: true },
    },
  },
});
