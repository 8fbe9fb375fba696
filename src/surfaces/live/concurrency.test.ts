import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects } from '../../../test/support/stoa.js';
import { addUser, refreshToken, startLiveScene, type LiveScene } from './test-helpers.js';

const VIEWERS = 50;

for (const d of await dialects()) {
  describe(`live concurrency and restart (${d.name})`, { skip: d.skip }, () => {
    let s: LiveScene;
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    before(async () => {
      db = await createTestDatabase(d.name);
      s = await startLiveScene(d.name, {}, db);
      await addUser(s, 'star');
      for (let i = 0; i < VIEWERS; i += 1) await addUser(s, `fan${i}`);
    });
    after(async () => {
      await s?.stop();
      await db?.drop();
    });

    test('100 concurrent gifts and 100 concurrent follows from 50 viewers give exact totals', async () => {
      assert.equal((await http(s.base, 'POST', '/user/live', { body: { s_name: 'star' }, headers: s.auth.star })).status, 200);
      const calls: Array<Promise<{ status: number }>> = [];
      let expected = 0;
      for (let i = 0; i < 100; i += 1) {
        const fan = `fan${i % VIEWERS}`;
        expected += i + 1;
        calls.push(http(s.base, 'PUT', '/user/money_follow', { body: { s_name: 'star', i_donate: i + 1 }, headers: s.auth[fan] }));
        calls.push(http(s.base, 'PUT', '/user/money_follow', { body: { s_name: 'star', follow: true }, headers: s.auth[fan] }));
      }
      const results = await Promise.all(calls);
      assert.deepEqual(results.filter((r) => r.status !== 200), []);
      const info = await http(s.base, 'GET', '/user/ueinfo?s_name=star');
      assert.deepEqual(info.body, { s_name: 'star', i_follower: VIEWERS, i_donate: expected, time_streaming: 0, streams: 1 });
      s.clock.advance(120_000);
      const watch = await http(s.base, 'POST', '/user/watch', { body: { s_name: 'star' }, headers: s.auth.fan0 });
      assert.equal(watch.body.i_people, 1);
      await http(s.base, 'PUT', '/user/current_people', { body: { s_name: 'star', delta: 1 }, headers: s.auth.star });
    });

    test('a restart keeps sessions and totals; only watch presence is lost', async () => {
      await s.srv.stop();
      s = await startLiveScene(d.name, {}, db);
      s.clock.set(Date.UTC(2026, 0, 10, 8, 3, 0));
      for (const name of ['star', 'fan1']) {
        s.ids[name] = (await s.app.db.selectFrom('users').select('id').where('username', '=', name).executeTakeFirstOrThrow()).id;
        await refreshToken(s, name);
      }
      assert.deepEqual((await http(s.base, 'GET', '/user/current_people?s_name=star')).body, { s_name: 'star', i_people: 1, peak: 2 });
      assert.equal((await http(s.base, 'GET', '/user/current_time?s_name=star')).body.elapsed_s, 180);
      const gift = await http(s.base, 'PUT', '/user/money_follow', { body: { s_name: 'star', i_donate: 1, follow: true }, headers: s.auth.fan1 });
      assert.deepEqual(gift.body, { s_name: 'star', i_follower: VIEWERS, i_donate: 5051 });
      const end = await http(s.base, 'POST', '/user/end', { body: { s_name: 'star' }, headers: s.auth.star });
      assert.deepEqual(end.body, { s_name: 'star', duration_s: 180, peak_people: 2, donated: 5051, new_followers: VIEWERS });
      assert.deepEqual((await http(s.base, 'GET', '/user/ueinfo?s_name=star')).body, {
        s_name: 'star', i_follower: VIEWERS, i_donate: 5051, time_streaming: 180, streams: 1,
      });
    });
  });
}
