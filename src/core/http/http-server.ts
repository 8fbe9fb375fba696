import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { installCors } from './cors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from './error-funnel.js';
import { installInputGuard } from './input-guard.js';

/** Outside any surface (health, console files): `{"error":"<code>","message"}`, a framework 4xx keeping its own status. */
const rootAnswer =
  (message?: string) =>
  (error: ClassifiedError): WireReply => ({ status: error.status, body: { error: error.code, message: message ?? error.message } });

const rootErrorReplies: ErrorReplies = {
  bad_request: rootAnswer(),
  unauthorized: rootAnswer(),
  forbidden: rootAnswer(),
  not_found: rootAnswer(),
  conflict: rootAnswer(),
  already_logged_in: rootAnswer(),
  payload_too_large: rootAnswer(),
  rate_limited: rootAnswer(),
  unavailable: rootAnswer('Service unavailable, try again shortly'),
  internal: rootAnswer('Internal error'),
};

/**
 * The Fastify instance every surface registers into: body limit, proxy trust, health
 * routes and a JSON 404. Request logging stays off the hot path; errors go through the error
 * funnel, each surface's plugin with its own reply table.
 */
export function buildHttpServer(app: App): FastifyInstance {
  const http = Fastify({
    loggerInstance: app.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: app.config.bodyLimitBytes,
    trustProxy: app.config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
  }) as unknown as FastifyInstance;
  installCors(http, app.config.corsOrigins);

  http.get('/healthz', async () => ({ status: 'ok', node: app.nodeId }));
  http.get('/readyz', async (_req, reply) => {
    const checks = await app.readiness();
    const ready = checks.database && checks.redis !== false;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', node: app.nodeId, ...checks });
  });

  http.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` });
  });
  installErrorFunnel(http, 'http', rootErrorReplies);
  installInputGuard(http);
  return http;
}

/**
 * Makes an encapsulated plugin parse any body as JSON, whatever its Content-Type, so
 * old clients that omit or mislabel the header still get the surface's own error shape
 * for a bad body instead of a 415.
 */
export function parseEveryBodyAsJson(http: FastifyInstance): void {
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      // The reviver (dropping `__proto__` keys) costs 5x on large bodies: only pay it when needed.
      const strip = text.includes('__proto__');
      done(null, strip ? JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value)) : JSON.parse(text));
    } catch {
      const err = new Error('Body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
}
