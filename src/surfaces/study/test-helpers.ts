import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/clock.js';
import { http } from '../../../test/support/clients.js';
import type { TestDatabase, TestServer } from '../../../test/support/stoa.js';

/** What the steps of one scenario table share while it runs against one server. */
export interface Scene {
  srv: TestServer;
  db: TestDatabase;
  clock: ManualClock;
  /** User ids by name, study ids by label, tokens by user. */
  ids: Record<string, number>;
  tokens: Record<string, string>;
}

/** A value given directly or computed from the scene when the step runs. */
export type Val<T> = T | ((s: Scene) => T);
type Res = Awaited<ReturnType<typeof http>>;

/** One HTTP call and what must come back; `fields` values that are RegExps are matched. */
export interface HttpStep {
  name: string;
  method: string;
  path: Val<string>;
  headers?: Val<Record<string, string>>;
  body?: Val<unknown>;
  rawBody?: Val<string | Uint8Array>;
  status: number;
  exact?: Val<object>;
  fields?: Val<Record<string, unknown>>;
  then?: (res: Res, s: Scene) => void | Promise<void>;
}

/** A step that is not one HTTP call: clock, database, concurrency. */
export interface ActStep {
  name: string;
  act: (s: Scene) => Promise<void> | void;
}

/** One row of a scenario table. */
export type Step = HttpStep | ActStep;

const val = <T>(v: Val<T> | undefined, s: Scene): T | undefined => (typeof v === 'function' ? (v as (s: Scene) => T)(s) : v);

/** `Authorization: Basic` for `name:password`. */
export const basic = (name: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`,
});

/** Basic auth with a kept token as the user name and an empty password. */
export const withToken = (user: string, password = '') => (s: Scene) => basic(s.tokens[user]!, password);

/** `Epoch ms` of a UTC wall time on the day the scenarios run. */
export const at = (hh: number, mm = 0, ss = 0) => Date.UTC(2026, 0, 10, hh, mm, ss);

/** The study 401 body. */
export const UNAUTHORIZED = { error: 'unauthorized', message: 'Invalid credentials' };

/** The study 404 body. */
export const NOT_FOUND = { error: 'not found' };

/** A 400 body with the given message (any non-empty one when omitted). */
export const badRequest = (message?: string) => (message === undefined ? { error: 'bad request', message: /\S/ } : { error: 'bad request', message });

/** Runs one step and checks status, JSON content type and body. */
export async function runStep(step: Step, s: Scene): Promise<void> {
  if ('act' in step) return step.act(s);
  const res = await http(s.srv.baseUrl, step.method, val(step.path, s)!, {
    headers: val(step.headers, s),
    body: val(step.body, s),
    rawBody: val(step.rawBody, s),
  });
  assert.equal(res.status, step.status, `status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const exact = val(step.exact, s);
  if (exact) assert.deepEqual(res.body, exact);
  for (const [key, expected] of Object.entries(val(step.fields, s) ?? {})) {
    if (expected instanceof RegExp) assert.match(String(res.body[key]), expected, key);
    else assert.deepEqual(res.body[key], expected, key);
  }
  await step.then?.(res, s);
}
