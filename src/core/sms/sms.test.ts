import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../test/support/eventually.js';
import { FAKE_RONGLIAN, startFakeRonglian, type FakeRonglian } from '../../../test/support/fake-ronglian.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { loadConfig } from '../../config.js';
import { createBullJobQueue } from '../jobs/bullmq-queue.js';
import { createMemoryJobQueue } from '../jobs/memory-queue.js';
import type { JobQueue } from '../jobs/types.js';
import { createLogger } from '../log.js';
import { createConsoleSmsProvider } from './console-provider.js';
import { createSmsProvider } from './create-provider.js';
import { createRonglianSmsProvider, ronglianAuthorization, ronglianSig, ronglianTimestamp } from './ronglian-provider.js';
import { queueSms, registerSmsJob, SMS_JOB_ATTEMPTS, type SmsJobApp } from './sms-jobs.js';
import { SmsFinalError, SmsTransientError } from './types.js';

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();

/** A pino logger whose JSON lines land in `lines`, so tests can prove what is (never) logged. */
function captureLog(level = 'info') {
  const lines: Array<Record<string, unknown> & { msg?: string; level: number }> = [];
  const raw: string[] = [];
  const log = createLogger(level, {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
  });
  return { log, lines, raw };
}

const RONGLIAN_ENV = {
  LOG_LEVEL: 'silent',
  SMS_PROVIDER: 'ronglian',
  RONGLIAN_ACCOUNT_SID: FAKE_RONGLIAN.accountSid,
  RONGLIAN_AUTH_TOKEN: FAKE_RONGLIAN.authToken,
  RONGLIAN_APP_ID: FAKE_RONGLIAN.appId,
  RONGLIAN_TEMPLATE_ID: FAKE_RONGLIAN.templateId,
  RONGLIAN_TIMEOUT_MS: '300',
  SMS_RETRY_BASE_MS: '20',
};

function ronglian(fake: FakeRonglian, log = captureLog().log, overrides: { authToken?: string; clock?: Clock } = {}) {
  return createRonglianSmsProvider({
    baseUrl: fake.baseUrl,
    accountSid: FAKE_RONGLIAN.accountSid,
    authToken: overrides.authToken ?? FAKE_RONGLIAN.authToken,
    appId: FAKE_RONGLIAN.appId,
    templateId: FAKE_RONGLIAN.templateId,
    timeoutMs: 300,
    clock: overrides.clock ?? systemClock,
    log,
  });
}

describe('ronglian signing', () => {
  test('timestamp is yyyyMMddHHmmss in China time (UTC+8)', () => {
    assert.equal(ronglianTimestamp(Date.UTC(2026, 0, 1, 0, 0, 0)), '20260101080000');
    assert.equal(ronglianTimestamp(Date.UTC(2025, 11, 31, 17, 5, 9)), '20260101010509');
  });

  test('sig is upper-case MD5 hex; Authorization is base64(sid:timestamp)', () => {
    const expected = createHash('md5').update('sidtok20260101080000').digest('hex').toUpperCase();
    assert.equal(ronglianSig('sid', 'tok', '20260101080000'), expected);
    assert.match(expected, /^[0-9A-F]{32}$/);
    assert.equal(Buffer.from(ronglianAuthorization('sid', '20260101080000'), 'base64').toString(), 'sid:20260101080000');
  });
});

describe('ronglian provider against the fake', () => {
  let fake: FakeRonglian;
  before(async () => {
    fake = await startFakeRonglian();
  });
  after(() => fake.close());

  test('sends the request exactly as Ronglian expects', async () => {
    await ronglian(fake).send({ phone: '13800138000', code: '123456', ttlMinutes: 5 });
    assert.deepEqual(fake.rejected, []);
    const got = fake.delivered.at(-1)!;
    assert.equal(got.phone, '13800138000');
    assert.deepEqual(got.datas, ['123456', '5']);
    assert.equal(got.appId, FAKE_RONGLIAN.appId);
    assert.equal(got.templateId, FAKE_RONGLIAN.templateId);
    assert.equal(got.headers.accept, 'application/json');
    assert.equal(got.headers['content-type'], 'application/json;charset=utf-8');
  });

  test('a wrong auth token fails the signature check, finally', async () => {
    const before = fake.rejected.length;
    await assert.rejects(
      ronglian(fake, undefined, { authToken: 'wrong-token' }).send({ phone: '13800138000', code: '1', ttlMinutes: 5 }),
      (err: unknown) => err instanceof SmsFinalError && err.providerCode === '111109',
    );
    assert.equal(fake.rejected.length, before + 1);
  });

  test('a timestamp in UTC instead of China time is refused', async () => {
    const utcClock = { now: () => Date.now() - 8 * 3600 * 1000 };
    await assert.rejects(
      ronglian(fake, undefined, { clock: utcClock }).send({ phone: '13800138000', code: '1', ttlMinutes: 5 }),
      (err: unknown) => err instanceof SmsFinalError && err.providerCode === '111105',
    );
  });

  for (const code of ['160038', '160040', '111109'] as const) {
    test(`status ${code} is a final error`, async () => {
      fake.script(code);
      await assert.rejects(
        ronglian(fake).send({ phone: '13800138000', code: '1', ttlMinutes: 5 }),
        (err: unknown) => err instanceof SmsFinalError && err.providerCode === code,
      );
    });
  }

  test('HTTP 500, a timeout and a refused connection are transient', async () => {
    fake.script(500);
    await assert.rejects(ronglian(fake).send({ phone: '13800138000', code: '1', ttlMinutes: 5 }), SmsTransientError);
    fake.script('hang');
    const started = Date.now();
    await assert.rejects(ronglian(fake).send({ phone: '13800138000', code: '1', ttlMinutes: 5 }), SmsTransientError);
    assert.ok(Date.now() - started < 2000, 'gave up after RONGLIAN_TIMEOUT_MS');
    const closed = await startFakeRonglian();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const offline = createRonglianSmsProvider({
      ...FAKE_RONGLIAN, baseUrl, timeoutMs: 300, clock: systemClock, log: captureLog().log,
    });
    await assert.rejects(offline.send({ phone: '13800138000', code: '1', ttlMinutes: 5 }), SmsTransientError);
  });

  test('never logs the code, whatever happens', async () => {
    const { log, raw } = captureLog('trace');
    const provider = ronglian(fake, log);
    const code = '987123';
    fake.script('000000', '160038', 500, 'hang');
    for (let i = 0; i < 4; i++) await provider.send({ phone: '13800138000', code, ttlMinutes: 5 }).catch(() => {});
    assert.ok(raw.length >= 3, 'failures were logged');
    for (const line of raw) assert.ok(!line.includes(code), `code in log line: ${line}`);
  });
});

describe('console provider', () => {
  test('writes exactly one line "sms to <phone> code <code>" at info', async () => {
    const { log, lines } = captureLog();
    await createConsoleSmsProvider(log).send({ phone: '13800138000', code: '246810', ttlMinutes: 5 });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'sms to 13800138000 code 246810');
    assert.equal(lines[0]!.level, 30);
  });

  test('is the default provider', () => {
    const { log } = captureLog();
    const provider = createSmsProvider({ config: loadConfig({ LOG_LEVEL: 'silent' }), clock: systemClock, log });
    assert.equal(provider.name, 'console');
  });
});

const QUEUES: Array<{ kind: JobQueue['kind']; skip: string | false; open(log: SmsJobApp['log']): JobQueue }> = [
  { kind: 'memory', skip: false, open: (log) => createMemoryJobQueue({ log }) },
  {
    kind: 'bullmq',
    skip: redisUrl ? false : 'Redis not reachable',
    open: (log) => createBullJobQueue({ url: redisUrl!, prefix: `${uniqueRedisPrefix()}jobs`, log }),
  },
];

for (const queue of QUEUES) {
  describe(`sms job (${queue.kind} queue)`, { skip: queue.skip }, () => {
    let fake: FakeRonglian;
    let app: SmsJobApp;
    let captured: ReturnType<typeof captureLog>;

    before(async () => {
      fake = await startFakeRonglian();
      captured = captureLog();
      const config = loadConfig({ ...RONGLIAN_ENV, RONGLIAN_BASE_URL: fake.baseUrl });
      app = { config, clock: systemClock, log: captured.log, jobs: queue.open(captured.log) };
      registerSmsJob(app);
      await app.jobs.start();
    });
    after(async () => {
      await app.jobs.close();
      await fake.close();
    });

    /** Waits until the queue logged that a job gave up for good. */
    async function failedForGood(count: number): Promise<void> {
      const failures = () => captured.lines.filter((l) => l.msg === 'job failed for good').length;
      await eventually(() => failures() >= count, { what: `${count} jobs to fail for good` });
    }

    test('the code reaches the provider within 2 s of queueSms', async () => {
      const started = Date.now();
      await queueSms(app, { phone: '13700000001', code: '112233', ttlMinutes: 5 });
      const [got] = await fake.waitForDelivered(1, 2000);
      assert.equal(got!.phone, '13700000001');
      assert.deepEqual(got!.datas, ['112233', '5']);
      assert.ok(got!.at - started < 2000);
    });

    test('transient failures (500, timeout) are retried until delivered', async () => {
      const requestsBefore = fake.requests.length;
      fake.script(500, 'hang');
      await queueSms(app, { phone: '13700000002', code: '223344', ttlMinutes: 5 });
      await fake.waitForDelivered(2, 5000);
      assert.equal(fake.requests.length - requestsBefore, 3);
      assert.equal(fake.delivered.at(-1)!.phone, '13700000002');
    });

    test('final refusals (160038, 160040, 111109) are not retried', async () => {
      let failed = captured.lines.filter((l) => l.msg === 'job failed for good').length;
      for (const reply of ['160038', '160040', '111109'] as const) {
        const requestsBefore = fake.requests.length;
        fake.script(reply);
        await queueSms(app, { phone: '13700000003', code: '334455', ttlMinutes: 5 });
        await failedForGood(++failed);
        await sleep(100); // several back-off periods: a retry would have arrived by now
        assert.equal(fake.requests.length - requestsBefore, 1, `${reply} was retried`);
      }
    });

    test(`gives up after ${SMS_JOB_ATTEMPTS} transient failures`, async () => {
      const failed = captured.lines.filter((l) => l.msg === 'job failed for good').length;
      const requestsBefore = fake.requests.length;
      fake.script(...Array.from({ length: SMS_JOB_ATTEMPTS }, () => 500 as const));
      await queueSms(app, { phone: '13700000004', code: '445566', ttlMinutes: 5 });
      await failedForGood(failed + 1);
      assert.equal(fake.requests.length - requestsBefore, SMS_JOB_ATTEMPTS);
    });

    test('nothing the queue or provider logged contains a code', () => {
      for (const line of captured.raw) {
        for (const code of ['112233', '223344', '334455', '445566']) assert.ok(!line.includes(code), `code in log: ${line}`);
      }
    });
  });
}
