import assert from 'node:assert/strict';
import { http } from '../../../test/support/clients.js';
import { startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import type { MailMessage, Mailer } from '../../core/mail/types.js';
import type { Clock, ManualClock } from '../../lib/clock.js';

/** A verify test server and the mail it would have sent. */
export interface VerifyServer {
  server: TestServer['server'];
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
  const started = await startTestServer(db, { env: { SOCKET_PORT: '-1', MAIL_RETRY_BASE_MS: '10', ...options.env }, clock: options.clock, mailer });
  return { server: started.server, baseUrl: started.baseUrl, outbox, stop: started.stop };
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
