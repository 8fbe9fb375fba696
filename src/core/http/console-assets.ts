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
 * Real paths that open the console (links from e-mails and OAuth providers land there);
 * each is an exact route answering index.html, the page reads its own query.
 */
export const CONSOLE_ENTRY_PATHS = ['/activate', '/oauth/google', '/oauth/weibo'] as const;

/** True when this server serves a built console, so links may point at its pages (e.g. `/activate`). */
export function consoleIsServed(app: Pick<App, 'config'>): boolean {
  const dir = app.config.consoleDir;
  return dir !== null && existsSync(path.join(dir, 'index.html'));
}

/**
 * Serves the built web console (console/dist) from `/`: one exact route per built file,
 * so the API's own paths and its 404s stay exactly as the spec says. Hashed assets are
 * cached for a year; index.html is revalidated on every load; `/console/config.json` answers
 * `publicConfig()` (what the surfaces tell the console, no secrets). A missing build is
 * reported once and the API runs without the console.
 */
export async function registerConsole(http: FastifyInstance, app: App, publicConfig: () => Record<string, unknown>): Promise<void> {
  const dir = app.config.consoleDir;
  if (!dir) return;
  if (!consoleIsServed(app)) {
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
  http.get('/console/config.json', async (_req, reply) => {
    reply.header('Cache-Control', 'no-cache');
    return publicConfig();
  });
  for (const entry of CONSOLE_ENTRY_PATHS) {
    http.get(entry, (_req, reply) => reply.sendFile('index.html'));
  }
}
