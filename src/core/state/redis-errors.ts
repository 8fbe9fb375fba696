import { RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.js';

/** Socket error codes that mean "Redis is not reachable", not "the command was wrong". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True for the failures ioredis reports while Redis is down or restarting: retries
 * exhausted (MaxRetriesPerRequestError), a closed or unwritable connection, a command
 * timeout, a refused or reset socket, or a server still loading its data set.
 */
export function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const message = err.message;
  return (
    message.startsWith('Connection is closed') ||
    message === 'Command timed out' ||
    message.includes("Stream isn't writeable") ||
    message.startsWith('LOADING')
  );
}

/** The outage error surfaces answer with 503; the ioredis error stays as the cause, for the log. */
export function redisUnavailable(cause: unknown): AppError {
  return new AppError('unavailable', 'redis unavailable', { cause });
}

/**
 * Runs one Redis operation and turns a connection-level failure into
 * AppError('unavailable'), so every surface answers an outage with its own 503 instead
 * of a 500. Any other error (a bug, a wrong type) passes through unchanged.
 */
export async function guardRedis<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw isRedisConnectionError(err) ? redisUnavailable(err) : err;
  }
}

/**
 * rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent and with
 * the store's own Error when Redis failed; the latter is an outage whatever its message.
 */
export function rateLimiterFailure(rejection: unknown): unknown {
  if (rejection instanceof RateLimiterRes) return rejection;
  return rejection instanceof Error ? redisUnavailable(rejection) : rejection;
}
