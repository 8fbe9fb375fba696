import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../../test/support/stoa.js';
import { ManualClock } from '../../../lib/clock.js';
import { sampleFor, without } from './test-helpers.js';

/** One call and what must come back; `body` must match exactly, `error` matches `body.error`. */
interface Step {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  /** Moves the injected clock forward before the call. */
  advanceMs?: number;
  status: number;
  expect?: unknown;
  error?: string | RegExp;
  check?: (body: any) => void;
}

const OK = { message: 'JSON received successfully' };
const amf1 = sampleFor('amf', { s_cpu: 10, s_memory: '', s_load: 'n/a', dt_infotime: '2026-01-01 00:00:01' });
const amf2 = sampleFor('amf', { s_cpu: '20.5', s_memory: 3, dt_infotime: '2026-01-01 00:00:11' });
const thousand = Array.from({ length: 1001 }, (_, i) => sampleFor(`big-${i}`));

const steps: Step[] = [
  { name: 'single sample', method: 'POST', path: '/nfs/resource', body: amf1, status: 200, expect: OK },
  { name: 'newer sample', method: 'POST', path: '/nfs/resource', body: amf2, advanceMs: 10_000, status: 200, expect: OK },
  { name: 'latest wins by receive time', method: 'GET', path: '/nfs/resource?s_nf=amf', status: 200, expect: { data: amf2 } },
  { name: 'missing key', method: 'POST', path: '/nfs/resource', body: without(amf1, 's_cpu'), status: 404, expect: { error: 'Missing title: s_cpu' } },
  { name: 'first missing key in order', method: 'POST', path: '/nfs/resource', body: without(amf1, 's_transfer', 's_nf', 's_attemp'), status: 404, error: 'Missing title: s_attemp' },
  { name: 'empty object', method: 'POST', path: '/nfs/resource', body: {}, status: 404, error: 'Missing title: dt_infotime' },
  { name: 'invalid JSON', method: 'POST', path: '/nfs/resource', raw: '{"s_nf":', status: 400, expect: { error: 'Body is not valid JSON' } },
  { name: 'empty body', method: 'POST', path: '/nfs/resource', raw: '', status: 400, error: /JSON object/ },
  { name: 'array body', method: 'POST', path: '/nfs/resource', body: [amf1], status: 400, error: /JSON object/ },
  { name: 'string body', method: 'POST', path: '/nfs/resource', body: 'hello', status: 400, error: /JSON object/ },
  { name: 'empty s_nf', method: 'POST', path: '/nfs/resource', body: sampleFor(''), status: 400, error: /s_nf/ },
  { name: 'numeric s_nf', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_nf: 5 }), status: 400, error: /s_nf/ },
  { name: 'object value', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_load: { a: 1 } }), status: 400, error: /^s_load / },
  { name: 'array value', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_disk: [1] }), status: 400, error: /^s_disk / },
  { name: 'boolean value', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_error: true }), status: 400, error: /^s_error / },
  { name: 'null value', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_loss: null }), status: 400, error: /^s_loss / },
  { name: 'rejected samples are not stored', method: 'GET', path: '/nfs/resource?s_nf=x', status: 404, expect: { error: 'No data for s_nf: x' } },
  { name: 'body too large', method: 'POST', path: '/nfs/resource', body: sampleFor('x', { s_size: 'y'.repeat(1_100_000) }), status: 413, error: /too large/ },
  {
    name: 'batch',
    method: 'POST',
    path: '/nfs/resource/batch',
    body: [sampleFor('smf', { s_cpu: 1 }), sampleFor('smf', { s_cpu: 2 }), sampleFor('upf', { s_cpu: '' })],
    status: 200,
    expect: { ...OK, count: 3 },
  },
  { name: 'batch latest keeps arrival order', method: 'GET', path: '/nfs/resource?s_nf=smf', status: 200, check: (b) => assert.equal(b.data.s_cpu, 2) },
  { name: 'empty strings come back as sent', method: 'GET', path: '/nfs/resource?s_nf=upf', status: 200, check: (b) => assert.equal(b.data.s_cpu, '') },
  {
    name: 'batch item missing a key',
    method: 'POST',
    path: '/nfs/resource/batch',
    body: [sampleFor('batchfail'), without(sampleFor('batchfail'), 's_size')],
    status: 404,
    expect: { error: 'Item 1: Missing title: s_size' },
  },
  {
    name: 'batch item bad value',
    method: 'POST',
    path: '/nfs/resource/batch',
    body: [sampleFor('batchfail'), sampleFor('batchfail'), sampleFor('batchfail', { s_cpu: false })],
    status: 400,
    error: /^Item 2: s_cpu /,
  },
  { name: 'batch is all-or-nothing', method: 'GET', path: '/nfs/resource?s_nf=batchfail', status: 404, error: 'No data for s_nf: batchfail' },
  { name: 'batch not an array', method: 'POST', path: '/nfs/resource/batch', body: amf1, status: 400, error: /array/ },
  { name: 'batch empty', method: 'POST', path: '/nfs/resource/batch', body: [], status: 400, error: /1 to 1000/ },
  { name: 'batch too long', method: 'POST', path: '/nfs/resource/batch', body: thousand, status: 400, error: /got 1001/ },
  { name: 'batch invalid JSON', method: 'POST', path: '/nfs/resource/batch', raw: '[{', status: 400, error: 'Body is not valid JSON' },
  { name: 'latest without s_nf', method: 'GET', path: '/nfs/resource', status: 404, expect: { error: 'Missing s_nf parameter' } },
  { name: 'latest with empty s_nf', method: 'GET', path: '/nfs/resource?s_nf=', status: 404, expect: { error: 'Missing s_nf parameter' } },
  { name: 'latest for unknown NF', method: 'GET', path: '/nfs/resource?s_nf=nrf', status: 404, expect: { error: 'No data for s_nf: nrf' } },
  {
    name: 'stats over the default window',
    method: 'GET',
    path: '/nfs/resource/stats?s_nf=amf',
    status: 200,
    check: (b) => {
      assert.equal(b.s_nf, 'amf');
      assert.equal(b.window, 300);
      assert.equal(b.count, 2);
      assert.deepEqual(b.fields.s_cpu, { avg: 15.25, min: 10, max: 20.5, last: 20.5 });
      assert.deepEqual(b.fields.s_load, { avg: 1.5, min: 1.5, max: 1.5, last: 1.5 });
      assert.deepEqual(b.fields.s_memory, { avg: 3, min: 3, max: 3, last: 3 });
      assert.equal(Object.keys(b.fields).length, 13);
    },
  },
  { name: 'stats with a short window', method: 'GET', path: '/nfs/resource/stats?s_nf=amf&window=5', status: 200, check: (b) => assert.equal(b.count, 1) },
  { name: 'stats without s_nf', method: 'GET', path: '/nfs/resource/stats', status: 404, expect: { error: 'Missing s_nf parameter' } },
  { name: 'stats unknown NF', method: 'GET', path: '/nfs/resource/stats?s_nf=nrf', status: 404, expect: { error: 'No data for s_nf: nrf' } },
  { name: 'stats bad window', method: 'GET', path: '/nfs/resource/stats?s_nf=amf&window=-3', status: 400, error: /window/ },
  {
    name: 'series',
    method: 'GET',
    path: '/nfs/resource/series?s_nf=amf&field=s_cpu&from=2026-01-01T00:00:00Z&to=2026-01-01T00:10:00Z&step=60',
    status: 200,
    check: (b) => {
      assert.equal(b.length, 1);
      assert.deepEqual({ avg: b[0].avg, min: b[0].min, max: b[0].max }, { avg: 15.25, min: 10, max: 20.5 });
      assert.equal(b[0].t, '2026-01-01T00:00:00.000Z');
    },
  },
  { name: 'series with epoch-ms range', method: 'GET', path: `/nfs/resource/series?s_nf=amf&from=${Date.UTC(2026, 0, 1)}&to=${Date.UTC(2026, 0, 1) + 5000}&step=1`, status: 200, check: (b) => assert.deepEqual(b.map((p: any) => p.avg), [10]) },
  { name: 'series with ISO range', method: 'GET', path: '/nfs/resource/series?s_nf=amf&from=2026-01-01T00:00:05Z&to=2026-01-01T00:01:00Z', status: 200, check: (b) => assert.deepEqual(b.map((p: any) => p.max), [20.5]) },
  { name: 'series bad field', method: 'GET', path: '/nfs/resource/series?s_nf=amf&field=s_nf', status: 400, error: /field/ },
  { name: 'series bad from', method: 'GET', path: '/nfs/resource/series?s_nf=amf&from=yesterday', status: 400, error: /^from / },
  { name: 'series bad to', method: 'GET', path: '/nfs/resource/series?s_nf=amf&to=2026-13-45T99:00:00Z', status: 400, error: /^to / },
  { name: 'series from after to', method: 'GET', path: '/nfs/resource/series?s_nf=amf&from=2000&to=1000', status: 400, error: /from/ },
  { name: 'series bad step', method: 'GET', path: '/nfs/resource/series?s_nf=amf&step=abc', status: 400, error: /step/ },
  { name: 'series without s_nf', method: 'GET', path: '/nfs/resource/series', status: 404, expect: { error: 'Missing s_nf parameter' } },
  { name: 'series unknown NF', method: 'GET', path: '/nfs/resource/series?s_nf=nrf', status: 404, expect: { error: 'No data for s_nf: nrf' } },
  {
    name: 'nodes, none stale yet',
    method: 'GET',
    path: '/nfs/nodes',
    status: 200,
    check: (b) => {
      assert.deepEqual(b.nodes.map((n: any) => [n.s_nf, n.stale]), [['amf', false], ['smf', false], ['upf', false]]);
      assert.equal(b.nodes[0].last_received_at, new Date(Date.UTC(2026, 0, 1) + 10_000).toISOString());
    },
  },
  { name: 'amf reports again', method: 'POST', path: '/nfs/resource', body: amf1, advanceMs: 25_000, status: 200, expect: OK },
  {
    name: 'nodes go stale after 30 s',
    method: 'GET',
    path: '/nfs/nodes',
    advanceMs: 6_000,
    status: 200,
    check: (b) => assert.deepEqual(b.nodes.map((n: any) => [n.s_nf, n.stale]), [['amf', false], ['smf', true], ['upf', true]]),
  },
  { name: 'unknown path under /nfs', method: 'GET', path: '/nfs/whatever', status: 404, error: /No route/ },
  { name: 'unknown method under /nfs', method: 'DELETE', path: '/nfs/resource', status: 404, error: /No route for DELETE/ },
];

for (const d of await dialects()) {
  describe(`metrics http (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, { clock, env: { SOCKET_PORT: '-1' } });
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    for (const step of steps) {
      test(step.name, async () => {
        if (step.advanceMs) clock.advance(step.advanceMs);
        const res = await http(srv.baseUrl, step.method, step.path, step.raw !== undefined ? { rawBody: step.raw } : { body: step.body });
        assert.equal(res.status, step.status, JSON.stringify(res.body).slice(0, 300));
        if (step.expect !== undefined) assert.deepEqual(res.body, step.expect);
        if (typeof step.error === 'string') assert.deepEqual(res.body, { error: step.error });
        if (step.error instanceof RegExp) {
          assert.deepEqual(Object.keys(res.body), ['error']);
          assert.match(res.body.error, step.error);
        }
        step.check?.(res.body);
      });
    }
  });
}
