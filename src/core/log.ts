import pino, { type Logger } from 'pino';

/**
 * Exact field paths that must never reach a log line; pino writes `[redacted]` in their
 * place. Exact paths, not wildcards: a wildcard such as `*.code` would also blank
 * `err.code` (an AppError's code, an errno such as ECONNREFUSED) and the top-level
 * `code` that the Redis connection logs, which are what an operator needs to read.
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  // The request-body fields that carry a secret, should a handler log them: passwords,
  // the repeated password of an ihome sign-up, the student-system password (study),
  // tokens and the ihome SMS code.
  'password',
  'password2',
  'stu_pwd',
  'token',
  'sms_code',
  // An SMS message (phone, code, ttlMinutes) logged as `sms`. Only the console SMS
  // provider prints a code, in its message text, by design.
  'sms.code',
  // Credentials in Fastify's request and response serializers.
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** The process logger (pino, JSON lines on stdout unless a destination is given). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' } }, destination);
}
