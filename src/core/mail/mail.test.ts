import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { capturingLog } from '../../../test/support/capturing-log.js';
import { eventually } from '../../../test/support/eventually.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { createApp, type App } from '../app.js';
import { loadConfig } from '../../config.js';
import { createMailer } from './mailer.js';
import { queueMail } from './mail-jobs.js';

/** A mail as the SMTP sink received it. */
interface Received {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real local SMTP server standing in for the provider: it records what arrives and can
 * answer the next N deliveries with a temporary (451) or permanent (550) refusal.
 */
class SmtpSink {
  readonly mails: Received[] = [];
  tries = 0;
  refuseNext = 0;
  refuseWith: 451 | 550 = 451;
  private readonly server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Once per delivery attempt (RCPT TO runs once per recipient).
    onMailFrom: (_address, _session, callback) => {
      if (this.refuseWith === 451 && this.refuseNext > 0) {
        this.tries++;
        this.refuseNext--;
        return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
      }
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.tries++;
        if (this.refuseWith === 550 && this.refuseNext > 0) {
          this.refuseNext--;
          return callback(Object.assign(new Error('Message rejected as spam'), { responseCode: 550 }));
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        this.mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }
  reset(): void {
    this.mails.length = 0;
    this.tries = 0;
    this.refuseNext = 0;
    this.refuseWith = 451;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();
const QUEUES = [
  { kind: 'memory', skip: false as string | false, env: {} as Record<string, string> },
  { kind: 'bullmq', skip: redisUrl ? false : 'Redis not reachable', env: { REDIS_URL: redisUrl ?? '' } },
];
const MESSAGE = { to: ['ada@example.com', 'bob@example.com'], subject: 'Activate your account', text: 'Your code is 314159.' };

const smtp = new SmtpSink();
let smtpUrl: string;
const redisPrefixes: string[] = [];
before(async () => {
  smtpUrl = await smtp.listen();
});
after(async () => {
  await smtp.close();
  if (!redisUrl) return;
  const redis = new Redis(redisUrl);
  for (const prefix of redisPrefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

for (const queue of QUEUES) {
  describe(`queued mail over SMTP (${queue.kind} jobs)`, { skip: queue.skip }, () => {
    /** A whole App wired from configuration, its job queue started, closed after the test. */
    async function startApp(t: TestContext): Promise<{ app: App; lines: ReturnType<typeof capturingLog>['lines'] }> {
      smtp.reset();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-mail-'));
      const prefix = uniqueRedisPrefix();
      redisPrefixes.push(prefix);
      const config = loadConfig({
        ...queue.env,
        DATA_DIR: dataDir,
        REDIS_PREFIX: prefix,
        SMTP_URL: smtpUrl,
        MAIL_FROM: 'Stoa <noreply@stoa.test>',
        MAIL_RETRY_BASE_MS: '20',
        JWT_SECRET: 'x'.repeat(32),
      });
      const { log, lines } = capturingLog();
      const app = await createApp(config, { log });
      t.after(async () => {
        await app.close();
        rmSync(dataDir, { recursive: true, force: true });
      });
      await app.jobs.start();
      assert.equal(app.jobs.kind, queue.kind);
      assert.equal(app.mailer.kind, 'smtp');
      return { app, lines };
    }

    test('a queued mail arrives with its sender, recipients, subject and text', async (t) => {
      const { app } = await startApp(t);
      await queueMail(app, MESSAGE);
      await eventually(() => smtp.mails.length === 1, { what: 'the mail' });
      const [mail] = smtp.mails;
      assert.equal(mail!.from, 'noreply@stoa.test');
      assert.deepEqual(mail!.to, MESSAGE.to);
      assert.match(mail!.raw, /^From: Stoa <noreply@stoa\.test>\r?$/m);
      assert.match(mail!.raw, /^To: ada@example\.com, bob@example\.com\r?$/m);
      assert.match(mail!.raw, /^Subject: Activate your account\r?$/m);
      assert.match(mail!.raw, /\r\n\r\nYour code is 314159\.\r\n/);
    });

    test('a server that refuses twice for now still ends in exactly one mail', async (t) => {
      const { app, lines } = await startApp(t);
      smtp.refuseNext = 2;
      await queueMail(app, MESSAGE);
      await eventually(() => smtp.mails.length === 1, { what: 'the mail after two refusals' });
      await sleep(200);
      assert.equal(smtp.mails.length, 1);
      assert.equal(smtp.tries, 3);
      const retries = lines.filter((l) => l.msg === 'job failed; will retry');
      assert.equal(retries.length, 2);
      assert.ok(!JSON.stringify(lines).includes('314159'), 'the body stays out of the log');
      assert.ok(!JSON.stringify(lines).includes('ada@example.com'), 'the recipients stay out of the job log');
    });

    test('a permanent refusal (5xx) is not retried and is logged as an error', async (t) => {
      const { app, lines } = await startApp(t);
      smtp.refuseNext = 5;
      smtp.refuseWith = 550;
      await queueMail(app, MESSAGE);
      await eventually(() => lines.some((l) => l.level === 50), { what: 'the final failure' });
      await sleep(150);
      assert.equal(smtp.tries, 1);
      assert.equal(smtp.mails.length, 0);
      const final = lines.find((l) => l.level === 50)!;
      assert.equal(final.job, 'mail.send');
      assert.match(String(final.err), /550/);
      assert.ok(!JSON.stringify(lines).includes('314159'));
    });
  });
}

test('without SMTP_URL the mailer logs recipients and subject, never the body', async () => {
  const { log, lines } = capturingLog();
  const mailer = createMailer({ smtpUrl: null, mailFrom: 'Stoa <noreply@stoa.test>' }, log);
  assert.equal(mailer.kind, 'log');
  await mailer.send({ ...MESSAGE, html: '<p>Your code is 314159.</p>' });
  await mailer.close();
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0]!.to, MESSAGE.to);
  assert.equal(lines[0]!.subject, MESSAGE.subject);
  assert.ok(!JSON.stringify(lines).includes('314159'));
});
