import pino, { type Logger } from 'pino';

/**
 * Field paths that must never reach a log line: passwords, tokens, codes and the
 * headers that carry them. Surfaces log objects; pino censors these paths.
 */
const REDACTED = [
  'password',
  'password2',
  'token',
  'code',
  'stu_pwd',
  'sms_code',
  '*.password',
  '*.token',
  '*.code',
  '*.stu_pwd',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** The process logger (pino, JSON lines on stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED, censor: '[redacted]' } }, destination);
}
