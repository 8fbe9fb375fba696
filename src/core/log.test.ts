import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from './errors.js';
import { createLogger, REDACTED_LOG_PATHS } from './log.js';

/** A logger built by `createLogger` whose JSON lines are kept in `lines` instead of printed. */
function capturedLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** A socket error as Node raises it when nothing listens on the port. */
function connectionRefused(): Error & { code: string; errno: number } {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', errno: -111 });
}

test("an AppError's code survives in the log line", () => {
  const { log, lines } = capturedLogger();
  log.error({ err: new AppError('rate_limited', 'too many attempts') }, 'request failed');
  assert.equal(lines[0].err.code, 'rate_limited');
  assert.equal(lines[0].err.message, 'too many attempts');
});

test("an errno such as ECONNREFUSED survives, on the error, on an outage's cause and at the top level", () => {
  const { log, lines } = capturedLogger();
  log.warn({ err: connectionRefused() }, 'dependency unavailable');
  log.warn({ err: new AppError('unavailable', 'redis unavailable', { cause: connectionRefused() }) }, 'dependency unavailable');
  log.warn({ role: 'commands', code: 'ECONNREFUSED', err: 'connect ECONNREFUSED' }, 'redis connection error; reconnecting');
  assert.equal(lines[0].err.code, 'ECONNREFUSED');
  assert.equal(lines[0].err.errno, -111);
  assert.equal(lines[1].err.code, 'unavailable');
  assert.equal(lines[1].err.details.cause.code, 'ECONNREFUSED');
  assert.equal(lines[2].code, 'ECONNREFUSED');
});

test('a verification code in an SMS message is redacted; the phone is not', () => {
  const { log, lines } = capturedLogger();
  log.info({ sms: { phone: '13800138000', code: '482913', ttlMinutes: 5 }, err: connectionRefused() }, 'sms not sent');
  assert.equal(lines[0].sms.code, '[redacted]');
  assert.equal(lines[0].sms.phone, '13800138000');
  assert.equal(lines[0].err.code, 'ECONNREFUSED');
});

/** One logged object per redacted path, and where the secret sits in it. */
const SECRETS: { path: string; fields: Record<string, unknown>; read: (line: Record<string, any>) => unknown }[] = [
  { path: 'password', fields: { password: 'hunter22' }, read: (l) => l.password },
  { path: 'password2', fields: { password2: 'hunter22' }, read: (l) => l.password2 },
  { path: 'stu_pwd', fields: { stu_pwd: 'school-secret' }, read: (l) => l.stu_pwd },
  { path: 'token', fields: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' }, read: (l) => l.token },
  { path: 'sms_code', fields: { sms_code: '482913' }, read: (l) => l.sms_code },
  { path: 'sms.code', fields: { sms: { phone: '13800138000', code: '482913' } }, read: (l) => l.sms.code },
  { path: 'req.headers.authorization', fields: { req: { headers: { authorization: 'Bearer abc' } } }, read: (l) => l.req.headers.authorization },
  { path: 'req.headers.cookie', fields: { req: { headers: { cookie: 'session=abc' } } }, read: (l) => l.req.headers.cookie },
  { path: 'res.headers["set-cookie"]', fields: { res: { headers: { 'set-cookie': 'session=abc' } } }, read: (l) => l.res.headers['set-cookie'] },
];

test('every secret path is redacted, also through a child logger as Fastify gives each request', () => {
  assert.deepEqual(SECRETS.map((s) => s.path).sort(), [...REDACTED_LOG_PATHS].sort(), 'each redacted path has a case here');
  const { log, lines } = capturedLogger();
  const requestLog = log.child({ reqId: 'req-1' });
  for (const secret of SECRETS) {
    log.warn(secret.fields, secret.path);
    requestLog.warn(secret.fields, secret.path);
  }
  assert.equal(lines.length, SECRETS.length * 2);
  for (const line of lines) {
    const secret = SECRETS.find((s) => s.path === line.msg)!;
    assert.equal(secret.read(line), '[redacted]', `${secret.path} is redacted`);
  }
});
