import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../../test/support/stoa.js';
import { ManualClock } from '../../../lib/clock.js';
import { sampleFor } from './test-helpers.js';

const TOKEN = 'ingest-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const OK = { message: 'JSON received successfully' };

for (const dialect of await dialects()) {
  describe(`ingest token, NF allow-list and new-NF cap (${dialect.name})`, { skip: dialect.skip }, () => {
    // Starts on a minute boundary, so the per-minute budget below starts full.
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
    let db: TestDatabase;
    let srv: TestServer;
    const post = (path: string, body: unknown, headers: Record<string, string> = AUTH) => http(srv.baseUrl, 'POST', path, { body, headers });

    before(async () => {
      db = await createTestDatabase(dialect.name);
      srv = await startTestServer(db, {
        clock,
        env: { SOCKET_PORT: '-1', INGEST_TOKEN: TOKEN, INGEST_NF_ALLOWLIST: 'amf, smf-*', INGEST_NEW_NF_PER_MINUTE: '3' },
      });
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('without the token, or with a wrong one, ingest is 401 in the metrics shape; reads stay open', async () => {
      const refusedHeaders: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
      for (const headers of refusedHeaders) {
        for (const [path, body] of [['/nfs/resource', sampleFor('amf')], ['/nfs/resource/batch', [sampleFor('amf')]]] as const) {
          const res = await post(path, body, headers);
          assert.deepEqual([res.status, res.body], [401, { error: 'Missing or invalid ingest token' }], `${path} ${JSON.stringify(headers)}`);
        }
      }
      const invalidJson = await http(srv.baseUrl, 'POST', '/nfs/resource', { rawBody: '{', headers: { 'content-type': 'application/json' } });
      assert.equal(invalidJson.status, 401, 'the token is checked before the body');
      assert.equal((await http(srv.baseUrl, 'GET', '/nfs/resource?s_nf=amf')).status, 404, 'nothing was stored');
    });

    test('with the token, single and batch samples are stored', async () => {
      assert.deepEqual((await post('/nfs/resource', sampleFor('amf'))).body, OK);
      const batch = await post('/nfs/resource/batch', [sampleFor('amf'), sampleFor('amf')], { authorization: `bearer ${TOKEN}` });
      assert.deepEqual([batch.status, batch.body], [200, { ...OK, count: 2 }]);
      assert.equal((await http(srv.baseUrl, 'GET', '/nfs/resource?s_nf=amf')).status, 200);
    });

    test('names outside the allow-list are 403; a batch holding one is refused whole', async () => {
      const single = await post('/nfs/resource', sampleFor('upf'));
      assert.deepEqual([single.status, single.body], [403, { error: 's_nf not allowed: upf' }]);
      const glob = await post('/nfs/resource', sampleFor('smfx'));
      assert.equal(glob.status, 403, '"smf-*" needs the dash');
      const batch = await post('/nfs/resource/batch', [sampleFor('amf'), sampleFor('smf-evil.*'), sampleFor('nrf')]);
      assert.deepEqual([batch.status, batch.body], [403, { error: 'Item 2: s_nf not allowed: nrf' }]);
      assert.equal((await http(srv.baseUrl, 'GET', '/nfs/resource?s_nf=smf-evil.*')).status, 404, 'nothing of a refused batch is stored');
    });

    test('new names beyond the per-minute cap are 429 with Retry-After; known names never are; the next minute admits them', async () => {
      // amf was the minute's first new name; two more fit.
      clock.advance(15_000);
      for (const nf of ['smf-1', 'smf-2']) assert.equal((await post('/nfs/resource', sampleFor(nf))).status, 200, nf);
      const refused = await post('/nfs/resource', sampleFor('smf-3'));
      assert.equal(refused.status, 429);
      assert.match(refused.body.error, /at most 3 a minute: smf-3$/);
      assert.equal(refused.headers.get('retry-after'), '45');
      const batch = await post('/nfs/resource/batch', [sampleFor('smf-1'), sampleFor('smf-4')]);
      assert.equal(batch.status, 429, 'a batch with a name over the cap is refused whole');
      assert.equal((await http(srv.baseUrl, 'GET', '/nfs/resource/stats?s_nf=smf-1')).body.count, 1, 'its known sample was not stored either');
      for (let i = 0; i < 5; i++) assert.equal((await post('/nfs/resource', sampleFor('smf-1'))).status, 200, 'known names pass');
      assert.equal((await post('/nfs/resource/batch', [sampleFor('amf'), sampleFor('smf-2')])).status, 200);

      clock.advance(45_000);
      assert.equal((await post('/nfs/resource/batch', [sampleFor('smf-3'), sampleFor('smf-4')])).status, 200, 'a new minute, a new budget');
      assert.equal((await post('/nfs/resource', sampleFor('smf-5'))).status, 200);
      assert.equal((await post('/nfs/resource', sampleFor('smf-6'))).status, 429);
    });
  });

  describe(`ingest with no settings stays open, as the seed (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    before(async () => {
      db = await createTestDatabase(dialect.name);
      srv = await startTestServer(db, { clock: new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0)), env: { SOCKET_PORT: '-1' } });
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('no token is asked for, any name is taken, and the default cap admits 20 new names a minute', async () => {
      const batch = Array.from({ length: 20 }, (_, i) => sampleFor(`nf-${i}`));
      assert.deepEqual((await http(srv.baseUrl, 'POST', '/nfs/resource/batch', { body: batch })).body, { ...OK, count: 20 });
      const res = await http(srv.baseUrl, 'POST', '/nfs/resource', { body: sampleFor('nf-20') });
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      assert.equal((await http(srv.baseUrl, 'POST', '/nfs/resource', { body: sampleFor('nf-7') })).status, 200);
    });
  });
}
