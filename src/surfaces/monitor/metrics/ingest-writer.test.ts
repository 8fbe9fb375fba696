import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { http } from '../../../../test/support/clients.js';
import { eventually } from '../../../../test/support/eventually.js';
import { dialects } from '../../../../test/support/stoa.js';
import { ManualClock } from '../../../lib/clock.js';
import { sqliteWindowAverages, windowAveragesByNf } from '../alerts/repo.js';
import { NODE_REFRESH_MS } from './node-refresh.js';
import { appendPostedSample, encodePostedBatch, parseSample } from './rules.js';
import { encodeSamples, rawSampleValues, SAMPLE_COLUMNS, sampleValuesFromRaw } from './sample-rows.js';
import { deleteExpiredSamples, ingestWriterFor, metricsReadThreadFor } from './service.js';
import { NUMERIC_KEYS, SAMPLE_KEYS, type MetricsTables } from './tables.js';
import { metricsServerForSuite, sampleFor } from './test-helpers.js';
import { SqliteWriterError } from '../../../core/db/sqlite-writer.js';
import { SAMPLE_WRITER_OPERATION } from './sample-writer-operation.js';

const T0 = Date.UTC(2026, 2, 1);

test('an encoded row holds each column of SAMPLE_COLUMNS in order', () => {
  const sample = parseSample(sampleFor('amf', { s_cpu: '12.5', s_disk: 7, s_transfer: '', s_system: 'linux' }));
  const row = encodeSamples([sample], T0);
  const expected = SAMPLE_COLUMNS.map((c) =>
    c === 'received_at' ? T0 : c === 'raw' ? JSON.stringify(SAMPLE_KEYS.map((k) => sample.values[k])) : c === 's_nf' || c === 'dt_infotime' ? sample[c] : sample.numbers[c],
  );
  assert.deepEqual(row, expected);
  assert.deepEqual(row.slice(4), NUMERIC_KEYS.map((k) => sample.numbers[k]));
});

test('the ingest hot path encodes a posted sample as encodeSamples does from its SampleInput', () => {
  const bodies = [
    sampleFor('amf', { s_cpu: '12.50', s_disk: 7, s_transfer: '', s_system: 'linux', s_load: ' 3 ', dt_infotime: 20260301 }),
    sampleFor('upf-2', { s_cpu: -0.5, s_memory: '1e3', s_error: 'NaN', s_loss: '0x10', s_size: ' ' }),
  ];
  for (const body of bodies) {
    const row: Array<string | number | null> = [];
    appendPostedSample(row, body, T0);
    assert.deepEqual(row, encodeSamples([parseSample(body)], T0));
  }
  const batch = encodePostedBatch(bodies, T0 + 1);
  assert.deepEqual(batch, encodeSamples(bodies.map((b) => parseSample(b)), T0 + 1));
});

test('a stored raw reads back as the values as sent, in key order, in the array and the older object form', () => {
  const sample = parseSample(sampleFor('amf', { s_cpu: '12.50', s_disk: 7, s_transfer: '', s_load: 'n/a' }));
  const expected = Object.fromEntries(SAMPLE_KEYS.map((k) => [k, sample.values[k]]));
  assert.deepEqual(Object.entries(sampleValuesFromRaw(rawSampleValues(sample))), Object.entries(expected));
  const legacy = JSON.stringify(Object.fromEntries([['s_extra', 1], ...SAMPLE_KEYS.map((k) => [k, sample.values[k]]).reverse()]));
  assert.deepEqual(Object.entries(sampleValuesFromRaw(legacy)), Object.entries(expected));
});

for (const d of await dialects()) {
  describe(`metrics ingest writer (${d.name})`, { skip: d.skip }, () => {
    const clock = new ManualClock(T0);
    const { srv, app } = metricsServerForSuite(d.name, clock);
    const tables = () => app().db.withTables<MetricsTables>();

    test('the NF list shows the exact last sample time while nf_nodes is refreshed about once a second', async () => {
      clock.set(T0);
      assert.equal((await http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('refresh-nf') })).status, 200);
      clock.advance(NODE_REFRESH_MS / 4);
      assert.equal((await http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('refresh-nf') })).status, 200);
      const stored = await tables().selectFrom('nf_nodes').select('last_received_at').where('s_nf', '=', 'refresh-nf').executeTakeFirstOrThrow();
      assert.equal(Number(stored.last_received_at), T0, 'the second sample, within NODE_REFRESH_MS, did not rewrite nf_nodes');
      const nodes = await http(srv().baseUrl, 'GET', '/nfs/nodes');
      const node = nodes.body.nodes.find((n: { s_nf: string }) => n.s_nf === 'refresh-nf');
      assert.equal(node.last_received_at, new Date(T0 + NODE_REFRESH_MS / 4).toISOString());
      clock.advance(NODE_REFRESH_MS);
      assert.equal((await http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('refresh-nf') })).status, 200);
      const moved = await tables().selectFrom('nf_nodes').select('last_received_at').where('s_nf', '=', 'refresh-nf').executeTakeFirstOrThrow();
      assert.equal(Number(moved.last_received_at), T0 + (NODE_REFRESH_MS * 5) / 4);
    });

    test('awkward text survives the array-parameter path: quotes, backslashes, braces, commas, NULL-like words, non-ASCII', async () => {
      const nf = 'nf "quoted" \\ {braced}, NULL';
      const body = sampleFor(nf, { dt_infotime: 'NULL', s_system: '{"a":[1,2]}\\n', s_load: 'ünïcødé ✓', s_transfer: '' });
      assert.equal((await http(srv().baseUrl, 'POST', '/nfs/resource/batch', { body: [body, { ...body, s_cpu: '7' }] })).status, 200);
      const latest = await http(srv().baseUrl, 'GET', `/nfs/resource?s_nf=${encodeURIComponent(nf)}`);
      assert.deepEqual(latest.body, { data: { ...body, s_cpu: '7' } });
      const stored = await tables().selectFrom('nf_samples').select(['dt_infotime', 's_cpu', 's_load']).where('s_nf', '=', nf).orderBy('s_cpu').execute();
      assert.deepEqual(stored, [
        { dt_infotime: 'NULL', s_cpu: 1.5, s_load: null },
        { dt_infotime: 'NULL', s_cpu: 7, s_load: null },
      ]);
    });

    test('retention also deletes samples of an NF that nf_nodes does not list', async () => {
      const now = T0 + 10 * 86_400_000;
      clock.set(now);
      const row = (nf: string, at: number) => ({ s_nf: nf, received_at: at, dt_infotime: '2026-03-01 00:00:00', raw: '{}', ...Object.fromEntries(NUMERIC_KEYS.map((k) => [k, 1])) });
      await tables()
        .insertInto('nf_samples')
        .values([row('unlisted-nf', now - 3 * 86_400_000), row('unlisted-nf', now - 2 * 86_400_000), row('unlisted-nf', now - 1000)])
        .execute();
      assert.ok((await deleteExpiredSamples(app())) >= 2);
      const left = await tables().selectFrom('nf_samples').select('received_at').where('s_nf', '=', 'unlisted-nf').execute();
      assert.deepEqual(left.map((r) => Number(r.received_at)), [now - 1000]);
    });

    if (d.name === 'sqlite') {
      test('the writer thread checkpoints the log for the main connection too, which never checkpoints itself', async () => {
        const native = app().sqliteNative!;
        assert.equal((await http(srv().baseUrl, 'POST', '/nfs/resource', { body: sampleFor('checkpoint-nf') })).status, 200);
        assert.equal(native.pragma('wal_autocheckpoint', { simple: true }), 0);
        const fileSize = () => statSync(native.name).size;
        const before = fileSize();
        const insert = native.prepare(`insert into nf_samples (s_nf, received_at, dt_infotime, raw) values ('checkpoint-nf', ?, '', '[]')`);
        native.transaction(() => {
          for (let i = 0; i < 20_000; i++) insert.run(clock.now());
        })();
        await eventually(() => fileSize() > before, {
          timeoutMs: 5000,
          intervalMs: 100,
          what: 'the writer thread to copy them into the database file within its interval',
        });
      });
    }

    test('samples written after the writer is closed are still committed', async () => {
      await ingestWriterFor(app()).close();
      const res = await http(srv().baseUrl, 'POST', '/nfs/resource/batch', { body: [sampleFor('after-close', { s_cpu: 3 })] });
      assert.equal(res.status, 200);
      assert.equal((await http(srv().baseUrl, 'GET', '/nfs/resource?s_nf=after-close')).body.data.s_cpu, 3);
    });

    if (d.name === 'sqlite') {
      test('a window over every NF is a rowid range (0203 dropped the receive-time index), and no NF index walk', async () => {
        const plan = await sql<{ detail: string }>`explain query plan ${sqliteWindowAverages('s_cpu', 1, 2, 3)}`.execute(app().db);
        assert.deepEqual(plan.rows.map((r) => r.detail), ['SEARCH nf_samples USING INTEGER PRIMARY KEY (rowid>?)', 'USE TEMP B-TREE FOR GROUP BY']);
        const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'nf_samples' order by name`.execute(app().db);
        assert.deepEqual(indexes.rows.map((r) => r.name), ['nf_samples_nf_time']);
      });

      test('the sample operation acknowledges after commit, reports a failed batch with its SQLite code, then carries on', async () => {
        const writer = app().sqliteWriter!;
        const write = (rows: unknown[]) => writer.operation(SAMPLE_WRITER_OPERATION, rows, 1);
        const good = encodeSamples([parseSample(sampleFor('thread-nf', { s_cpu: 41 }))], T0);
        await write(good);
        const seen = await tables().selectFrom('nf_samples').select('s_cpu').where('s_nf', '=', 'thread-nf').execute();
        assert.deepEqual(seen.map((r) => r.s_cpu), [41]);
        const bad = [...good];
        bad[0] = null;
        await assert.rejects(write(bad), (err: unknown) => err instanceof SqliteWriterError && err.code === 'SQLITE_CONSTRAINT_NOTNULL');
        await write(encodeSamples([parseSample(sampleFor('thread-nf', { s_cpu: 42 }))], T0 + 1));
        const after = await tables().selectFrom('nf_samples').select('s_cpu').where('s_nf', '=', 'thread-nf').orderBy('received_at').execute();
        assert.deepEqual(after.map((r) => r.s_cpu), [41, 42]);
      });
    }

    // Last in the suite: it writes the newest receive times, so every earlier test's rows stay in receive order.
    test('a window over every NF counts exactly the samples received in it, also rows a little out of order', async () => {
      const base = T0 + 30 * 86_400_000;
      const times: Array<[string, number, number]> = [];
      for (let i = 0; i < 3000; i++) times.push([i % 2 ? 'win-a' : 'win-b', base + i * 10, i % 97]);
      // Written late but received earlier, within RECEIVE_ORDER_SLACK_MS of the rows before them.
      times.push(['win-a', base + 10_005, 1000], ['win-b', base + 9_000, 2000]);
      const cols = (nf: string, at: number, cpu: number) => ({
        s_nf: nf, received_at: at, dt_infotime: '2026-03-31 00:00:00', raw: '[]',
        ...Object.fromEntries(NUMERIC_KEYS.map((k) => [k, k === 's_cpu' ? cpu : null])),
      });
      for (let i = 0; i < times.length; i += 500) {
        await tables().insertInto('nf_samples').values(times.slice(i, i + 500).map(([nf, at, cpu]) => cols(nf, at, cpu)) as never).execute();
      }
      const from = base + 10_000;
      const to = base + 20_000;
      const averages = await windowAveragesByNf(app().db, app().dialect, 's_cpu', from, to);
      for (const nf of ['win-a', 'win-b']) {
        const inWindow = times.filter(([n, at]) => n === nf && at > from && at <= to).map(([, , cpu]) => cpu);
        assert.ok(Math.abs(averages.get(nf)! - inWindow.reduce((a, b) => a + b, 0) / inWindow.length) < 1e-9, nf);
      }
      assert.equal((await windowAveragesByNf(app().db, app().dialect, 's_cpu', base + 40_000, base + 50_000)).size, 0);
      if (d.name === 'sqlite') {
        // A window of at least minRows rows is read on the metrics read thread, with the same answer.
        const offThread = { reader: () => metricsReadThreadFor(app()), minRows: 1000 };
        const thread = metricsReadThreadFor(app())!;
        const served = thread.queriesServed;
        assert.deepEqual(await windowAveragesByNf(app().db, app().dialect, 's_cpu', from, to, offThread), averages);
        assert.equal(thread.queriesServed, served + 1);
        await windowAveragesByNf(app().db, app().dialect, 's_cpu', to - 1000, to, { ...offThread, minRows: 1_000_000 });
        assert.equal(thread.queriesServed, served + 1, 'a small window stays on the main connection');
      }
    });
  });
}
