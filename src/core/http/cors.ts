import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The routes that set or read a cookie (the iHome session): the only ones whose answers
 * carry `Access-Control-Allow-Credentials`, so a page must name them to send the cookie.
 */
const COOKIE_PATHS: ReadonlySet<string> = new Set(['/api/v1.0/users', '/api/v1.0/sessions', '/api/v1.0/session']);

/** Every method a surface routes. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/** Request headers the clients send beyond the always-allowed ones. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'X-Requested-With'];

/** Response headers a page's script may read: rate-limit waits and redirect targets. */
const EXPOSED_HEADERS = ['Retry-After', 'Location'];

/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/** True when the request (or the request a preflight announces) goes to a cookie route. */
function usesCookie(req: FastifyRequest): boolean {
  return COOKIE_PATHS.has(req.url.split('?')[0]!);
}

/**
 * Answers cross-origin calls (preflight `OPTIONS` included) on every route of `http` for
 * the allowed `origins`, compared exactly with the request's `Origin`; other origins get no
 * CORS header and their preflight the usual 404. With no origins nothing is installed.
 * Must run before the surfaces register, so their encapsulated routes inherit the hook.
 */
export function installCors(http: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  const base: FastifyCorsOptions = {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
  };
  const withCredentials: FastifyCorsOptions = { ...base, credentials: true };
  void http.register(fastifyCors, {
    delegator: (req, done) => done(null, usesCookie(req) ? withCredentials : base),
  });
}
