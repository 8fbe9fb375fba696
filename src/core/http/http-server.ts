import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { isUnavailable, outageCause } from '../errors.js';

/**
 * The Fastify instance every surface registers into: body limit, proxy trust, health
 * routes and a JSON 404. Request logging stays off the hot path; errors are logged by
 * each surface's error handler with the internal cause.
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
  });

  http.get('/healthz', async () => ({ status: 'ok', node: app.nodeId }));
  http.get('/readyz', async (_req, reply) => {
    const checks = await app.readiness();
    const ready = checks.database && checks.redis !== false;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', node: app.nodeId, ...checks });
  });

  http.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` });
  });
  http.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
    if (isUnavailable(err)) {
      req.log.warn({ err: outageCause(err) }, 'request: dependency unavailable');
      return reply.code(503).send({ error: 'unavailable', message: 'Service unavailable, try again shortly' });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'unhandled request error');
    reply.code(status).send({ error: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'Internal error' : err.message });
  });
  return http as unknown as FastifyInstance;
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
