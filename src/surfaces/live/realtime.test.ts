import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, WsClient } from '../../../test/support/clients.js';
import { dialects } from '../../../test/support/stoa.js';
import { checkLongStreams, sweepViewers } from './index.js';
import { addUser, refreshToken, startLiveScene, type LiveScene } from './test-helpers.js';

const call = (s: LiveScene, method: string, path: string, as: string | null, body?: unknown) =>
  http(s.base, method, path, { body, headers: as ? s.auth[as] : {} });

for (const d of await dialects()) {
  describe(`live realtime (${d.name})`, { skip: d.skip }, () => {
    let s: LiveScene;
    before(async () => {
      s = await startLiveScene(d.name);
      for (const name of ['alice', 'bob', 'carol']) await addUser(s, name);
    });
    after(() => s?.stop());

    test('a subscriber of live:alice receives viewers, gift, follow and alert in order; the alert goes out once', async () => {
      const ws = await WsClient.connect(s.srv.wsUrl);
      try {
        assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'live:alice' }), { type: 'subscribed', topic: 'live:alice' });
        assert.equal((await call(s, 'POST', '/user/live', 'alice', { s_name: 'alice' })).status, 200);
        assert.equal((await call(s, 'POST', '/user/watch', 'bob', { s_name: 'alice' })).status, 200);
        assert.equal((await call(s, 'PUT', '/user/money_follow', 'bob', { s_name: 'alice', i_donate: 7 })).status, 200);
        assert.equal((await call(s, 'PUT', '/user/money_follow', 'bob', { s_name: 'alice', follow: true })).status, 200);
        assert.equal((await call(s, 'PUT', '/user/money_follow', 'bob', { s_name: 'alice', follow: true })).status, 200);
        s.clock.advance(6 * 3600 * 1000);
        assert.equal(await checkLongStreams(s.app), 0, 'exactly 6 hours is not more than 6 hours');
        s.clock.advance(1000);
        assert.equal(await checkLongStreams(s.app), 1);
        assert.equal(await checkLongStreams(s.app), 0, 'once per stream');
        const events = [];
        for (let i = 0; i < 4; i += 1) events.push(await ws.next());
        assert.deepEqual(events, [
          { topic: 'live:alice', type: 'viewers', i_people: 1 },
          { topic: 'live:alice', type: 'gift', from: 'bob', amount: 7 },
          { topic: 'live:alice', type: 'follow', from: 'bob' },
          { topic: 'live:alice', type: 'alert', message: 'Live for more than 6 hours' },
        ]);
        await refreshToken(s, 'bob');
        const status = await call(s, 'POST', '/user/alert', 'bob', { s_name: 'alice' });
        assert.deepEqual(status.body, { alert: true, elapsed_s: 6 * 3600 + 1, message: 'Live for more than 6 hours' });
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(ws.inbox.pending(), [], 'no repeated follow, no second alert');
      } finally {
        ws.close();
        await refreshToken(s, 'alice');
        await call(s, 'POST', '/user/end', 'alice', { s_name: 'alice' });
      }
    });

    test('a watcher unseen for 30 s is dropped (manual clock), and the sweep announces it', async () => {
      await refreshToken(s, 'carol');
      await refreshToken(s, 'bob');
      await refreshToken(s, 'alice');
      assert.equal((await call(s, 'POST', '/user/live', 'carol', { s_name: 'carol', i_people: 1 })).status, 200);
      const ws = await WsClient.connect(s.srv.wsUrl);
      try {
        await ws.request({ type: 'subscribe', topic: 'live:carol' });
        assert.equal((await call(s, 'POST', '/user/watch', 'bob', { s_name: 'carol' })).body.i_people, 2);
        assert.equal((await call(s, 'POST', '/user/watch', 'alice', { s_name: 'carol' })).body.i_people, 3);
        s.clock.advance(15_000);
        assert.equal((await call(s, 'POST', '/user/watch', 'bob', { s_name: 'carol' })).body.i_people, 3);
        s.clock.advance(15_000);
        // alice's heartbeat is exactly 30 s old now: expired; bob's is 15 s old.
        assert.deepEqual((await call(s, 'GET', '/user/current_people?s_name=carol', null)).body, { s_name: 'carol', i_people: 2, peak: 3 });
        s.clock.advance(15_000);
        await sweepViewers(s.app);
        assert.deepEqual((await call(s, 'GET', '/user/current_people?s_name=carol', null)).body, { s_name: 'carol', i_people: 1, peak: 3 });
        const counts = [];
        for (let i = 0; i < 3; i += 1) counts.push((await ws.next((m) => m.type === 'viewers')).i_people);
        assert.deepEqual(counts, [2, 3, 1]);
      } finally {
        ws.close();
      }
    });

    test('a topic outside live:<name> is refused; live:<name> needs no login', async () => {
      const ws = await WsClient.connect(s.srv.wsUrl);
      try {
        assert.equal((await ws.request({ type: 'subscribe', topic: 'live:' })).type, 'error');
        assert.equal((await ws.request({ type: 'subscribe', topic: 'live:anyone' })).type, 'subscribed');
      } finally {
        ws.close();
      }
    });
  });
}
