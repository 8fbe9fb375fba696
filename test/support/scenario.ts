import assert from 'node:assert/strict';
import { http } from './clients.js';
import type { TestServer } from './stoa.js';

/** What every scenario table's shared state has: the server its HTTP steps talk to. */
export interface BaseScene {
  srv: TestServer;
}

/** A value given directly or computed from the scene when the step runs. */
export type Val<T, S> = T | ((s: S) => T);

/** An HTTP answer as the steps see it. */
export type Res = Awaited<ReturnType<typeof http>>;

/** One HTTP call and what must come back; `fields` values that are RegExps are matched. */
export interface HttpStep<S> {
  name: string;
  method: string;
  path: Val<string, S>;
  headers?: Val<Record<string, string>, S>;
  body?: Val<unknown, S>;
  rawBody?: Val<string | Uint8Array, S>;
  status: number;
  exact?: Val<object, S>;
  fields?: Val<object, S>;
  then?: (res: Res, s: S) => void | Promise<void>;
}

/** A step that is not one HTTP call: sockets, clock, files, database. */
export interface ActStep<S> {
  name: string;
  act: (s: S) => Promise<void> | void;
}

/** One row of a scenario table. */
export type Step<S> = HttpStep<S> | ActStep<S>;

/** Resolves a `Val` against the scene. */
export function val<T, S>(v: Val<T, S> | undefined, s: S): T | undefined {
  return typeof v === 'function' ? (v as (s: S) => T)(s) : v;
}

/** Runs one step and checks status, JSON content type and body. */
export async function runStep<S extends BaseScene>(step: Step<S>, s: S): Promise<void> {
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
