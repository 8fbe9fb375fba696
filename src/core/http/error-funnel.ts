import type { FastifyInstance, FastifyRequest } from 'fastify';
import { defaultStatusFor, isAppError, outageCause, type ErrorCode } from '../errors.js';

/** Where an error came from: a thrown AppError, Fastify refusing the request, or a bug. */
export type ErrorOrigin = 'app' | 'framework' | 'unexpected';

/**
 * A thrown error reduced to what a surface needs to answer it. Surfaces see only this,
 * never the error itself, so no cause or stack can reach a client.
 */
export interface ClassifiedError {
  code: ErrorCode;
  /** The status the code usually means; for a framework error its own 4xx (400, 413, 415...). */
  status: number;
  /** Safe to send: the AppError's or the framework's message, `Internal error` for a bug. */
  message: string;
  origin: ErrorOrigin;
  /** The field an AppError names, e.g. the one a conflict is about. */
  field?: string;
}

/** What a surface answers: a status, its own wire body and any extra headers. */
export interface WireReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * One surface's answer for every error code. A table missing a code does not compile,
 * so a new code cannot ship until every surface says how it looks on its wire.
 */
export type ErrorReplies = { readonly [C in ErrorCode]: (error: ClassifiedError, req: FastifyRequest) => WireReply };

/** The message of a framework 413, the same on every surface. */
export const BODY_TOO_LARGE = 'Request body too large';

/**
 * Sorts any thrown value: an AppError by its code; a Fastify error with a 4xx status
 * (bad JSON, body too large, unsupported type, validation) as bad input; anything else
 * as internal.
 */
export function classifyError(err: unknown): ClassifiedError {
  if (isAppError(err)) {
    const { code, message, details } = err;
    return { code, status: defaultStatusFor[code], message, origin: 'app', ...(details.field === undefined ? {} : { field: details.field }) };
  }
  const { statusCode, validation, message } = (err ?? {}) as { statusCode?: unknown; validation?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : 'Bad request';
  if (statusCode === 413) return { code: 'payload_too_large', status: 413, message: BODY_TOO_LARGE, origin: 'framework' };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { code: 'bad_request', status: statusCode, message: text, origin: 'framework' };
  }
  if (validation !== undefined) return { code: 'bad_request', status: 400, message: text, origin: 'framework' };
  return { code: 'internal', status: 500, message: 'Internal error', origin: 'unexpected' };
}

/** What to log for a failure: an AppError's cause when it carries one, else the error itself. */
function failureCause(err: unknown): unknown {
  return isAppError(err) && err.details.cause !== undefined ? err.details.cause : err;
}

/**
 * Makes `replies` the error handler of one surface's plugin. The shared parts happen
 * here once: classifying, logging (an outage at warn with its cause only, a failure at
 * error with the stack, bad input not at all), and `Retry-After` for a rate limit that
 * knows its wait. The surface only says what each code looks like on its wire.
 */
export function installErrorFunnel(http: FastifyInstance, surface: string, replies: ErrorReplies): void {
  http.setErrorHandler((err: unknown, req, reply) => {
    const error = classifyError(err);
    if (isAppError(err) && error.code === 'unavailable') {
      req.log.warn({ err: outageCause(err), reason: error.message }, `${surface} request: dependency unavailable`);
    } else if (error.code === 'internal') {
      req.log.error({ err: failureCause(err) }, `${surface} request failed`);
    }
    const answer = replies[error.code](error, req);
    const retryAfterMs = isAppError(err) && error.code === 'rate_limited' ? err.details.retryAfterMs : undefined;
    if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    if (answer.headers) reply.headers(answer.headers);
    return reply.code(answer.status).send(answer.body);
  });
}
