import assert from 'node:assert/strict';
import { http } from '../../../test/support/clients.js';
import type { TestDatabase } from '../../../test/support/stoa.js';
import { loadConfig } from '../../config.js';
import type { MailMessage, Mailer } from '../../core/mail/types.js';
import type { Clock, ManualClock } from '../../lib/clock.js';
import { startServer, type RunningServer } from '../../server.js';

/** A verify test server and the mail it would have sent. */
export interface VerifyServer {
  server: RunningServer;
  baseUrl: string;
  outbox: MailMessage[];
  stop(): Promise<void>;
}

/** Starts a real server like `startTestServer`, with a mailer that records instead of sending. */
export async function startVerifyServer(
  db: TestDatabase,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<VerifyServer> {
  const outbox: MailMessage[] = [];
  const mailer: Mailer = { kind: 'log', send: async (m) => void outbox.push(m), close: async () => {} };
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    SOCKET_PORT: '-1',
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    NODE_ENV: 'test',
    MAIL_RETRY_BASE_MS: '10',
    ...db.env,
    ...options.env,
  });
  const server = await startServer(config, { clock: options.clock, mailer });
  return { server, baseUrl: server.httpUrl, outbox, stop: () => server.close() };
}

/** What the steps of one table share. */
export interface Scene {
  srv: VerifyServer;
  clock: ManualClock;
  /** Values steps keep for later ones (cookies, captcha answers, tickets). */
  kept: Record<string, string>;
}

type Res = Awaited<ReturnType<typeof http>>;
type Val<T> = T | ((s: Scene) => T | Promise<T>);

/** One row of a scenario table: an HTTP call and its exact answer, or an action. */
export type Step =
  | {
      name: string;
      method: string;
      path: Val<string>;
      body?: Val<unknown>;
      rawBody?: string;
      headers?: Val<Record<string, string>>;
      status: number;
      exact?: object;
      then?: (res: Res, s: Scene) => void | Promise<void>;
    }
  | { name: string; act: (s: Scene) => unknown };

const val = async <T>(v: Val<T> | undefined, s: Scene): Promise<T | undefined> =>
  typeof v === 'function' ? (v as (s: Scene) => T | Promise<T>)(s) : v;

/** Runs one row: status and, when given, the exact JSON body. */
export async function runStep(step: Step, s: Scene): Promise<void> {
  if ('act' in step) {
    await step.act(s);
    return;
  }
  const res = await http(s.srv.baseUrl, step.method, (await val(step.path, s))!, {
    body: await val(step.body, s),
    rawBody: step.rawBody,
    headers: { ...(step.rawBody ? { 'content-type': 'application/json' } : {}), ...(await val(step.headers, s)) },
  });
  assert.equal(res.status, step.status, `status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  if (step.exact) assert.deepEqual(res.body, step.exact);
  await step.then?.(res, s);
}
