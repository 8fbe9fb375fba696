import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';

/**
 * Content-Security-Policy for console pages: scripts and styles only from this server,
 * API calls, WebSocket and Socket.IO only to this server, avatars and charts as images.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built web console (console/dist) from `/`: one exact route per built file,
 * so the API's own paths and its 404s stay exactly as the spec says. Hashed assets are
 * cached for a year; index.html is revalidated on every load. A missing build is
 * reported once and the API runs without the console.
 */
export async function registerConsole(http: FastifyInstance, app: App): Promise<void> {
  const dir = app.config.consoleDir;
  if (!dir) return;
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'console not built (run `npm run build:console`); serving the API only');
    return;
  }
  await http.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    serveDotFiles: false,
    cacheControl: false,
    setHeaders(reply, filePath) {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('X-Content-Type-Options', 'nosniff');
      if (filePath.endsWith('.html')) {
        reply.header('Content-Security-Policy', CONSOLE_CSP);
        reply.header('X-Frame-Options', 'DENY');
        reply.header('Referrer-Policy', 'same-origin');
      }
    },
  });
}
