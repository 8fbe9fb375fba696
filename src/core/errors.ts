/**
 * Stable error codes every surface understands. Each surface maps these to its own
 * wire shape in one place (its `ErrorReplies` table, see `http/error-funnel.ts`); the
 * internal cause is logged, never sent.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'already_logged_in'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** HTTP status that a code maps to when a surface has no more specific rule. */
export const defaultStatusFor: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  already_logged_in: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Every code once, for tests and tables that walk them all. */
export const ERROR_CODES = Object.keys(defaultStatusFor) as readonly ErrorCode[];

/** The one error type thrown by core and surface logic: a stable code plus a message safe to show a client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { cause?: unknown; retryAfterMs?: number; field?: string } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * True for an outage (Redis, the database or an upstream service unreachable): every
 * surface answers it with HTTP 503 in its own shape and logs it at warn, not error,
 * because the node itself is fine and recovers when the dependency returns.
 */
export function isUnavailable(err: unknown): err is AppError {
  return err instanceof AppError && err.code === 'unavailable';
}

/** What to log for an outage: the driver's error (never a URL), else the AppError itself. */
export function outageCause(err: AppError): unknown {
  return err.details.cause ?? err;
}

/** Narrowing helper for catch blocks. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
