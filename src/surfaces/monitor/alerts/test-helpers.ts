import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../../test/support/stoa.js';
import type { App } from '../../../core/app.js';
import { ManualClock } from '../../../lib/clock.js';
import { NUMERIC_KEYS, type MetricsTables, type NumericKey } from '../metrics/tables.js';

/** A server on a fresh database with a manual clock; the periodic evaluation is pushed out of the way. */
export interface AlertScene {
  db: TestDatabase;
  srv: TestServer;
  clock: ManualClock;
  app: App;
  /** Stops the server and starts a new one on the same database and clock. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the scene; tests call `evaluateAlerts` themselves. */
export async function startAlertScene(dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<AlertScene> {
  const db = await createTestDatabase(dialect);
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
  const fullEnv = { ALERT_EVAL_INTERVAL_S: '3600', ...env };
  const scene: AlertScene = {
    db,
    clock,
    srv: await startTestServer(db, { env: fullEnv, clock }),
    get app() {
      return this.srv.server.app;
    },
    async restart() {
      await scene.srv.stop();
      scene.srv = await startTestServer(db, { env: fullEnv, clock });
    },
    async stop() {
      await scene.srv.stop();
      await db.drop();
    },
  };
  return scene;
}

/** Writes one sample straight into nf_samples, received now; unnamed measurements are null. */
export async function feedSample(scene: AlertScene, nf: string, values: Partial<Record<NumericKey, number>>): Promise<void> {
  const row = Object.fromEntries(NUMERIC_KEYS.map((k) => [k, values[k] ?? null])) as Record<NumericKey, number | null>;
  await scene.app.db
    .withTables<MetricsTables>()
    .insertInto('nf_samples')
    .values({ ...row, s_nf: nf, received_at: scene.clock.now(), dt_infotime: '2026-03-01 12:00:00', raw: '{}' })
    .execute();
}

/** A full 15-key sample as the log client POSTs it. */
export function sampleBody(nf: string, cpu: number | string): Record<string, string | number> {
  const body: Record<string, string | number> = { dt_infotime: '2026-03-01 12:00:00', s_nf: nf };
  for (const key of NUMERIC_KEYS) body[key] = key === 's_cpu' ? cpu : 1;
  return body;
}

/** One mail as the sink received it. */
export interface SunkMail {
  from: string;
  to: string[];
  raw: string;
}

/** A local SMTP server that keeps every message; `next()` waits for the next one. */
export class SmtpSink {
  readonly mails: SunkMail[] = [];
  private waiters: Array<(mail: SunkMail) => void> = [];

  private constructor(private readonly server: SMTPServer, readonly port: number) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          };
          sink!.mails.push(mail);
          sink!.waiters.splice(0).forEach((w) => w(mail));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new SmtpSink(server, (server.server.address() as AddressInfo).port);
    return sink;
  }

  /** Resolves with the first mail, waiting up to `timeoutMs`. */
  async first(timeoutMs = 10_000): Promise<SunkMail> {
    if (this.mails.length > 0) return this.mails[0]!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no mail arrived')), timeoutMs);
      this.waiters.push((mail) => (clearTimeout(timer), resolve(mail)));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
