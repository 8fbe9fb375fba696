import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { http } from '../../../../test/support/clients.js';
import { dialects } from '../../../../test/support/stoa.js';
import { loadConfig } from '../../../config.js';
import { ConfigError } from '../../../core/config.js';
import { ManualClock } from '../../../lib/clock.js';
import { insertSamples, type ReceivedSample } from './repo.js';
import { parseSample } from './rules.js';
import { deleteExpiredSamples } from './service.js';
import { metricsServerForSuite, sampleFor } from './test-helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function rows(nf: string, count: number, at: (i: number) => number, cpu: (i: number) => number | string): ReceivedSample[] {
  return Array.from({ length: count }, (_, i) => ({ sample: parseSample(sampleFor(nf, { s_cpu: cpu(i), dt_infotime: `id-${i}` })), receivedAt: at(i) }));
}

test('METRICS_RETENTION accepts seconds and d/h/m/s forms and rejects anything else', () => {
  assert.equal(loadConfig({}).monitor.metricsRetentionS, 30 * 86400);
  assert.equal(loadConfig({ METRICS_RETENTION: '3600' }).monitor.metricsRetentionS, 3600);
  assert.equal(loadConfig({ METRICS_RETENTION: '12h' }).monitor.metricsRetentionS, 12 * 3600);
  assert.equal(loadConfig({ METRICS_RETENTION: '30d' }).monitor.metricsRetentionS, 30 * 86400);
  for (const bad of ['abc', '-5', '1.5d', '10w', '5']) {
    assert.throws(() => loadConfig({ METRICS_RETENTION: bad }), (e: unknown) => e instanceof ConfigError && /METRICS_RETENTION/.test(e.message));
  }
});

for (const d of await dialects()) {
  describe(`metrics computation (${d.name})`, { skip: d.skip }, () => {
    const clock = new ManualClock(T0);
    const { srv, app } = metricsServerForSuite(d.name, clock);

    test('a sample posted while another transaction is open never joins it (it waits for that transaction to end)', async () => {
      const rolledBack = new Error('roll back');
      let posted: Promise<{ status: number }> | undefined;
      await assert.rejects(
        app().db.transaction().execute(async (tx) => {
          await sql`select 1`.execute(tx);
          posted = http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('tx-nf', { s_cpu: '5' }) });
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw rolledBack;
        }),
        rolledBack,
      );
      assert.equal((await posted!).status, 200);
      const latest = await http(srv().baseUrl, 'GET', '/nfs/resource?s_nf=tx-nf');
      assert.equal(latest.body.data.s_cpu, '5');
    });

    test('stats match numbers computed here, over the window only', async () => {
      clock.set(T0);
      const cpus = [12.5, '7', '', 99.25, 'oops', '0.5', 42, '-3'];
      for (const [i, cpu] of cpus.entries()) {
        const res = await http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('stats-nf', { s_cpu: cpu, s_disk: i }) });
        assert.equal(res.status, 200);
        clock.advance(10_000);
      }
      // now = T0 + 80 s; samples at T0 + 0..70 s. A 45 s window keeps those at 40, 50, 60, 70 s (indexes 4..7).
      const res = await http(srv().baseUrl, 'GET', '/nfs/resource/stats?s_nf=stats-nf&window=45');
      assert.equal(res.status, 200);
      const counted = cpus.slice(4).map((v) => (v === '' ? NaN : Number(v))).filter(Number.isFinite);
      const avg = counted.reduce((a, b) => a + b, 0) / counted.length;
      assert.equal(res.body.count, 4);
      assert.ok(Math.abs(res.body.fields.s_cpu.avg - avg) < 1e-9);
      assert.equal(res.body.fields.s_cpu.min, Math.min(...counted));
      assert.equal(res.body.fields.s_cpu.max, Math.max(...counted));
      assert.equal(res.body.fields.s_cpu.last, -3);
      assert.deepEqual(res.body.fields.s_disk, { avg: 5.5, min: 4, max: 7, last: 7 });
      const all = await http(srv().baseUrl, 'GET', '/nfs/resource/stats?s_nf=stats-nf&window=3600');
      assert.equal(all.body.count, 8);
      assert.equal(all.body.fields.s_cpu.max, 99.25);
      const latest = await http(srv().baseUrl, 'GET', '/nfs/resource?s_nf=stats-nf');
      assert.equal(latest.body.data.s_cpu, '-3');
      const empty = await http(srv().baseUrl, 'GET', '/nfs/resource/stats?s_nf=stats-nf&window=1');
      assert.deepEqual([empty.body.count, empty.body.fields.s_cpu], [0, { avg: null, min: null, max: null, last: null }]);
    });

    test('series: 5000 samples over a day come back as at most 2000 points, with exact aggregates', async () => {
      const start = T0 + 10 * DAY;
      const all = rows('series-nf', 5000, (i) => start + i * 17_280, (i) => i % 100);
      await app().db.transaction().execute((tx) => insertSamples(tx, app().dialect, all));
      clock.set(start + DAY);
      const res = await http(srv().baseUrl, 'GET', `/nfs/resource/series?s_nf=series-nf&field=s_cpu&from=${start}&to=${start + DAY}&step=1`);
      assert.equal(res.status, 200);
      assert.ok(res.body.length <= 2000 && res.body.length > 1000, `${res.body.length} points`);
      const stepMs = Math.ceil((DAY + 1) / 2000);
      const first = res.body[0];
      const inFirst = all.filter((r) => r.receivedAt < start + stepMs).map((r) => r.sample.numbers.s_cpu!);
      assert.equal(first.t, new Date(start).toISOString());
      assert.deepEqual([first.min, first.max], [Math.min(...inFirst), Math.max(...inFirst)]);
      assert.ok(Math.abs(first.avg - inFirst.reduce((a, b) => a + b, 0) / inFirst.length) < 1e-9);
      const coarse = await http(srv().baseUrl, 'GET', `/nfs/resource/series?s_nf=series-nf&from=${start}&to=${start + DAY - 1}&step=3600`);
      assert.equal(coarse.body.length, 24);
      const year = await http(srv().baseUrl, 'GET', `/nfs/resource/series?s_nf=series-nf&from=0&to=${start + DAY}`);
      assert.ok(year.body.length >= 1 && year.body.length <= 2000);
    });

    test('retention deletes only samples older than METRICS_RETENTION, in batches', async () => {
      const now = T0 + 100 * DAY;
      clock.set(now);
      await app().db.transaction().execute(async (tx) => {
        await insertSamples(tx, app().dialect, rows('old-nf', 12_345, (i) => now - 2 * DAY - i, () => 1));
        await insertSamples(tx, app().dialect, rows('mixed-nf', 30, (i) => now - DAY - 15_000 + i * 1000, () => 2));
      });
      const before = await countRows();
      const deleted = await deleteExpiredSamples(app());
      assert.equal(deleted, before - (await countRows()));
      assert.equal(await countRows('old-nf'), 0);
      assert.equal(await countRows('mixed-nf'), 15);
      assert.ok(deleted >= 12_345 + 15);
      const latest = await http(srv().baseUrl, 'GET', '/nfs/resource?s_nf=mixed-nf');
      assert.equal(latest.status, 200);
      const nodes = await http(srv().baseUrl, 'GET', '/nfs/nodes');
      assert.ok(!nodes.body.nodes.some((n: any) => n.s_nf === 'old-nf'));
      assert.ok(nodes.body.nodes.some((n: any) => n.s_nf === 'mixed-nf'));
      assert.equal(await deleteExpiredSamples(app()), 0);
    });

    async function countRows(nf?: string): Promise<number> {
      let q = app().db.withTables<{ nf_samples: { s_nf: string } }>().selectFrom('nf_samples').select((eb) => eb.fn.countAll().as('n'));
      if (nf) q = q.where('s_nf', '=', nf);
      return Number((await q.executeTakeFirstOrThrow()).n);
    }
  });
}
