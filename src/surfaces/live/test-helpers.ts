import assert from 'node:assert/strict';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import type { App } from '../../core/app.js';
import { issueWebToken } from '../../core/auth/web-session.js';
import { registerAccount } from '../../core/users/accounts.js';
import { updateAccessLevel } from '../../core/users/user-repo.js';
import { ManualClock } from '../../lib/clock.js';

/** Shared by the live tests; not a test file itself. */

/** A server on a fresh database with a manual clock, and how to reach it. */
export interface LiveScene {
  db: TestDatabase;
  srv: TestServer;
  app: App;
  clock: ManualClock;
  base: string;
  /** `Authorization` headers by user name. */
  auth: Record<string, Record<string, string>>;
  ids: Record<string, number>;
  stop(): Promise<void>;
}

/** The wall time every live scenario starts at. */
export const T0 = Date.UTC(2026, 0, 10, 8, 0, 0);

/** Starts a server (alert check and sweep far apart, so only the tests call them). */
export async function startLiveScene(dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}, db?: TestDatabase): Promise<LiveScene> {
  const database = db ?? (await createTestDatabase(dialect));
  const clock = new ManualClock(T0);
  const srv = await startTestServer(database, {
    clock,
    env: { SOCKET_PORT: '-1', LIVE_ALERT_CHECK_INTERVAL_S: '86400', WEB_JWT_TTL_S: '86400', ...env },
  });
  const scene: LiveScene = {
    db: database,
    srv,
    app: srv.server.app,
    clock,
    base: srv.baseUrl,
    auth: {},
    ids: {},
    stop: async () => {
      await srv.stop();
      if (!db) await database.drop();
    },
  };
  return scene;
}

/** Creates a user (no password: tokens are issued directly) and keeps a JWT header for them. */
export async function addUser(scene: LiveScene, name: string, level = 0): Promise<void> {
  const id = await registerAccount(scene.app, { username: name, password: null });
  if (level > 0) await updateAccessLevel(scene.app.db, id, level);
  scene.ids[name] = id;
  await refreshToken(scene, name);
}

/** A new JWT for a known user (after the manual clock passed its expiry). */
export async function refreshToken(scene: LiveScene, name: string): Promise<void> {
  scene.auth[name] = { authorization: `JWT ${await issueWebToken(scene.app, scene.ids[name]!)}` };
}

/** One row of a scenario table: a call, as whom, and what must come back. */
export interface LiveStep {
  name: string;
  /** Runs before the call (clock moves, extra setup). */
  before?: (s: LiveScene) => Promise<void> | void;
  method: string;
  path: string;
  as?: string;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  status: number;
  /** The whole body. */
  exact?: unknown | ((s: LiveScene) => unknown);
  /** Extra checks on the body. */
  check?: (body: any, s: LiveScene) => void;
}

/** Runs one step against the scene and asserts its status and body. */
export async function runLiveStep(s: LiveScene, step: LiveStep): Promise<void> {
  await step.before?.(s);
  const headers = { ...(step.as ? s.auth[step.as] : {}), ...step.headers };
  const res = await http(s.base, step.method, step.path, { body: step.body, rawBody: step.rawBody, headers });
  assert.equal(res.status, step.status, `${step.name}: ${JSON.stringify(res.body)}`);
  if (step.exact !== undefined) {
    const expected = typeof step.exact === 'function' ? (step.exact as (s: LiveScene) => unknown)(s) : step.exact;
    assert.deepEqual(res.body, expected, step.name);
  }
  step.check?.(res.body, s);
}

/** The `{"Error"}` body. */
export const err = (message: string) => ({ Error: message });
