import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../../../core/app.js';
import { defaultStatusFor, isAppError, isUnavailable, outageCause } from '../../../core/errors.js';
import { parseEveryBodyAsJson } from '../../../core/http/http-server.js';
import { appendPostedSample, encodePostedBatch, isNumericKey, parseSecondsParam, parseTimeParam } from './rules.js';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import { ingestRows, latestSample, nfNodes, nfSeries, nfStats } from './service.js';

type Query = Record<string, string | string[] | undefined>;

const RECEIVED = 'JSON received successfully';
const DEFAULT_WINDOW_MS = 300_000;
const DEFAULT_SERIES_RANGE_MS = 3600_000;
/** Longest stats window and series step accepted, in seconds (a year). */
const MAX_SPAN_S = 366 * 86400;

/** The first value of a query parameter, or undefined. */
function param(query: unknown, name: string): string | undefined {
  const value = (query as Query)[name];
  return Array.isArray(value) ? value[0] : value;
}

function fail(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error });
}

/** The NF name from `?s_nf=`, or a 404 `Missing s_nf parameter` (the seed's answer). */
function nfParam(query: unknown, reply: FastifyReply): string | null {
  const nf = param(query, 's_nf');
  if (nf === undefined || nf === '') {
    void fail(reply, 404, 'Missing s_nf parameter');
    return null;
  }
  return nf;
}

/**
 * Metrics ingest and queries under /nfs, every error as `{"error": "..."}`: AppErrors
 * map to their status, body problems to 400/413, anything else to 500 with the cause
 * logged; unknown paths and methods under /nfs get a JSON 404.
 */
export async function metricsRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);

  http.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (isUnavailable(err)) {
      req.log.warn({ err: outageCause(err) }, 'metrics request: dependency unavailable');
      return fail(reply, 503, 'Service unavailable, try again shortly');
    }
    if (isAppError(err)) {
      const status = defaultStatusFor[err.code];
      if (status >= 500) req.log.error({ err: err.details.cause ?? err }, 'metrics request failed');
      return fail(reply, status, err.message);
    }
    if (err.statusCode === 413) return fail(reply, 413, 'Request body too large');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return fail(reply, 400, err.message);
    req.log.error({ err }, 'metrics request failed');
    return fail(reply, 500, 'internal error');
  });

  http.post('/nfs/resource', async (req) => {
    const row: EncodedRows = [];
    appendPostedSample(row, req.body, app.clock.now());
    await ingestRows(app, row);
    return { message: RECEIVED };
  });

  http.post('/nfs/resource/batch', async (req) => {
    const rows = encodePostedBatch(req.body, app.clock.now());
    await ingestRows(app, rows);
    return { message: RECEIVED, count: rows.length / ROW_WIDTH };
  });

  http.get('/nfs/resource', async (req, reply) => {
    const nf = nfParam(req.query, reply);
    if (nf === null) return reply;
    return { data: await latestSample(app, nf) };
  });

  http.get('/nfs/resource/stats', async (req, reply) => {
    const nf = nfParam(req.query, reply);
    if (nf === null) return reply;
    const windowText = param(req.query, 'window');
    const windowMs = windowText === undefined ? DEFAULT_WINDOW_MS : parseSecondsParam(windowText, MAX_SPAN_S);
    if (windowMs === null) return fail(reply, 400, `window must be a positive number of seconds up to ${MAX_SPAN_S}`);
    const stats = await nfStats(app, nf, windowMs);
    return { s_nf: nf, window: windowMs / 1000, count: stats.count, fields: stats.fields };
  });

  http.get('/nfs/resource/series', async (req, reply) => {
    const nf = nfParam(req.query, reply);
    if (nf === null) return reply;
    const field = param(req.query, 'field') ?? 's_cpu';
    if (!isNumericKey(field)) return fail(reply, 400, `field must be one of the numeric keys, got "${field}"`);
    const times: Record<'from' | 'to', number | null> = { from: null, to: null };
    for (const name of ['from', 'to'] as const) {
      const text = param(req.query, name);
      if (text === undefined || text === '') continue;
      times[name] = parseTimeParam(text);
      if (times[name] === null) return fail(reply, 400, `${name} must be an ISO-8601 time or epoch milliseconds`);
    }
    const to = times.to ?? app.clock.now();
    const from = times.from ?? to - DEFAULT_SERIES_RANGE_MS;
    if (from > to) return fail(reply, 400, 'from must not be after to');
    const stepText = param(req.query, 'step');
    const stepMs = stepText === undefined || stepText === '' ? null : parseSecondsParam(stepText, MAX_SPAN_S);
    if (stepText && stepMs === null) return fail(reply, 400, `step must be a positive number of seconds up to ${MAX_SPAN_S}`);
    return nfSeries(app, { nf, field, from, to, stepMs });
  });

  http.get('/nfs/nodes', async () => ({ nodes: await nfNodes(app) }));

  await http.register(
    async (scope) => {
      scope.setNotFoundHandler((req, reply) => fail(reply, 404, `No route for ${req.method} ${req.url.split('?')[0]}`));
    },
    { prefix: '/nfs' },
  );
}
