import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../../core/app.js';
import { AppError, defaultStatusFor } from '../../../core/errors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../../core/http/http-server.js';
import { appendPostedSample, encodePostedBatch, isNumericKey, parseSecondsParam, parseTimeParam } from './rules.js';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import { admitAndStore } from './ingest-guard.js';
import { requireIngestToken } from './ingest-token.js';
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

/** The NF name from `?s_nf=`; without one, the seed's 404 `Missing s_nf parameter`. */
function nfParam(query: unknown): string {
  const nf = param(query, 's_nf');
  if (nf === undefined || nf === '') throw new AppError('not_found', 'Missing s_nf parameter');
  return nf;
}

const answer = (status: number, error: string): WireReply => ({ status, body: { error } });
/** The code's usual status (a framework 4xx other than 413 is a 400) with the error's own message. */
const withOwnMessage = (error: ClassifiedError) => answer(defaultStatusFor[error.code], error.message);

/** Every error code as `{"error": "..."}`; a failure of our own says what failed, a bug only that it was internal. */
const metricsErrorReplies: ErrorReplies = {
  bad_request: withOwnMessage,
  unauthorized: withOwnMessage,
  forbidden: withOwnMessage,
  not_found: withOwnMessage,
  conflict: withOwnMessage,
  already_logged_in: withOwnMessage,
  payload_too_large: withOwnMessage,
  rate_limited: withOwnMessage,
  unavailable: () => answer(503, 'Service unavailable, try again shortly'),
  internal: (error) => answer(500, error.origin === 'app' ? error.message : 'internal error'),
};

/**
 * Metrics ingest and queries under /nfs, every error as `{"error": "..."}` (see
 * metricsErrorReplies); unknown paths and methods under /nfs get a JSON 404.
 */
export async function metricsRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);

  installErrorFunnel(http, 'metrics', metricsErrorReplies);

  // INGEST_TOKEN, when set, is checked before the body is parsed.
  const tokenCheck = { onRequest: async (req: FastifyRequest) => requireIngestToken(app, req.headers.authorization) };

  http.post('/nfs/resource', tokenCheck, async (req) => {
    const row: EncodedRows = [];
    appendPostedSample(row, req.body, app.clock.now());
    await admitAndStore(app, row, false, () => ingestRows(app, row));
    return { message: RECEIVED };
  });

  http.post('/nfs/resource/batch', tokenCheck, async (req) => {
    const rows = encodePostedBatch(req.body, app.clock.now());
    await admitAndStore(app, rows, true, () => ingestRows(app, rows));
    return { message: RECEIVED, count: rows.length / ROW_WIDTH };
  });

  http.get('/nfs/resource', async (req) => {
    const nf = nfParam(req.query);
    return { data: await latestSample(app, nf) };
  });

  http.get('/nfs/resource/stats', async (req) => {
    const nf = nfParam(req.query);
    const windowText = param(req.query, 'window');
    const windowMs = windowText === undefined ? DEFAULT_WINDOW_MS : parseSecondsParam(windowText, MAX_SPAN_S);
    if (windowMs === null) throw new AppError('bad_request', `window must be a positive number of seconds up to ${MAX_SPAN_S}`);
    const stats = await nfStats(app, nf, windowMs);
    return { s_nf: nf, window: windowMs / 1000, count: stats.count, fields: stats.fields };
  });

  http.get('/nfs/resource/series', async (req) => {
    const nf = nfParam(req.query);
    const field = param(req.query, 'field') ?? 's_cpu';
    if (!isNumericKey(field)) throw new AppError('bad_request', `field must be one of the numeric keys, got "${field}"`);
    const times: Record<'from' | 'to', number | null> = { from: null, to: null };
    for (const name of ['from', 'to'] as const) {
      const text = param(req.query, name);
      if (text === undefined || text === '') continue;
      times[name] = parseTimeParam(text);
      if (times[name] === null) throw new AppError('bad_request', `${name} must be an ISO-8601 time or epoch milliseconds`);
    }
    const to = times.to ?? app.clock.now();
    const from = times.from ?? to - DEFAULT_SERIES_RANGE_MS;
    if (from > to) throw new AppError('bad_request', 'from must not be after to');
    const stepText = param(req.query, 'step');
    const stepMs = stepText === undefined || stepText === '' ? null : parseSecondsParam(stepText, MAX_SPAN_S);
    if (stepText && stepMs === null) throw new AppError('bad_request', `step must be a positive number of seconds up to ${MAX_SPAN_S}`);
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
