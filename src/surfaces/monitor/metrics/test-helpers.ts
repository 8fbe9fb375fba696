import { after, before } from 'node:test';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../../test/support/stoa.js';
import type { App } from '../../../core/app.js';
import type { Clock } from '../../../lib/clock.js';
import { SAMPLE_KEYS } from './tables.js';

/** A complete sample for `nf` with numbers as strings (as the seed's log client sends them), overridable per key. */
export function sampleFor(nf: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  for (const key of SAMPLE_KEYS) sample[key] = key === 's_nf' ? nf : key === 'dt_infotime' ? '2026-01-01 00:00:00' : '1.5';
  return { ...sample, ...overrides };
}

/** `sample` without the named keys. */
export function without(sample: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...sample };
  for (const key of keys) delete copy[key];
  return copy;
}

/**
 * Inside a describe: a server on a fresh `dialect` database (TCP chat off, one-day
 * retention, the given clock) started before the suite's tests and removed after them.
 */
export function metricsServerForSuite(dialect: 'sqlite' | 'postgres', clock: Clock): { srv(): TestServer; app(): App } {
  let db: TestDatabase | undefined;
  let srv: TestServer | undefined;
  before(async () => {
    db = await createTestDatabase(dialect);
    srv = await startTestServer(db, { clock, env: { SOCKET_PORT: '-1', METRICS_RETENTION: '1d' } });
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
  });
  return { srv: () => srv!, app: () => srv!.server.app };
}
