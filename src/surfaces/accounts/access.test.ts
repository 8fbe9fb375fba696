import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { readWebSession } from '../../core/auth/web-session.js';
import { findUserByUsername, updateAccessLevel } from '../../core/users/user-repo.js';
import { ManualClock } from '../../lib/clock.js';
import { assertWebJwt, login, signup } from './test-helpers.js';

const pendingList = (srv: TestServer, token: string, query = '?status=pending') =>
  http(srv.baseUrl, 'GET', `/user/access-requests${query}`, { headers: { authorization: `JWT ${token}` } });
const decide = (srv: TestServer, token: string, id: unknown, action: 'approve' | 'reject') =>
  http(srv.baseUrl, 'POST', `/user/access-requests/${id}/${action}`, { headers: { authorization: `Bearer ${token}` } });

for (const d of await dialects()) {
  describe(`monitor access requests (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    let admin: string;
    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db);
      await signup(srv.baseUrl, 'root');
      const root = await findUserByUsername(srv.server.app.db, 'root');
      await updateAccessLevel(srv.server.app.db, root!.id, 9);
      admin = (await login(srv.baseUrl, 'root')).access_token;
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('a level above SIGNUP_MAX_SELF_LEVEL waits at 0 until an admin approves it', async () => {
      await signup(srv.baseUrl, 'streamer', '5');
      assert.equal((await login(srv.baseUrl, 'streamer')).user_info.access_level, 0);
      const list = await pendingList(srv, admin);
      assert.equal(list.status, 200);
      const mine = list.body.requests.filter((r: { s_name: string }) => r.s_name === 'streamer');
      assert.equal(mine.length, 1);
      assert.deepEqual({ ...mine[0], id: 0, user_id: 0, created_at: 'x' }, {
        id: 0, user_id: 0, s_name: 'streamer', requested_level: 5, status: 'pending', created_at: 'x', decided_at: null, decided_by: null,
      });
      assert.ok(list.body.requests.every((r: { status: string }) => r.status === 'pending'));

      const approved = await decide(srv, admin, mine[0].id, 'approve');
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.message, 'Access request approved');
      assert.equal(approved.body.request.status, 'approved');
      assert.match(approved.body.request.decided_at, /^\d{4}-\d\d-\d\dT/);
      assert.equal((await login(srv.baseUrl, 'streamer')).user_info.access_level, 5);

      const again = await decide(srv, admin, mine[0].id, 'reject');
      assert.deepEqual([again.status, again.body], [409, { Error: 'Access request already decided' }]);
      assert.ok(!(await pendingList(srv, admin)).body.requests.some((r: { s_name: string }) => r.s_name === 'streamer'));
    });

    test('a rejected request leaves the level at 0 and shows under status=rejected', async () => {
      await signup(srv.baseUrl, 'hopeful', '9');
      const id = (await pendingList(srv, admin)).body.requests.find((r: { s_name: string }) => r.s_name === 'hopeful').id;
      const rejected = await decide(srv, admin, id, 'reject');
      assert.equal(rejected.status, 200);
      assert.equal(rejected.body.message, 'Access request rejected');
      assert.equal((await login(srv.baseUrl, 'hopeful')).user_info.access_level, 0);
      const list = await pendingList(srv, admin, '?status=rejected');
      assert.deepEqual(list.body.requests.map((r: { s_name: string }) => r.s_name), ['hopeful']);
    });

    test('unknown or malformed ids are 404 for an admin; a bad status filter is 400', async () => {
      for (const id of [999999, 'abc', '1.5']) {
        const res = await decide(srv, admin, id, 'approve');
        assert.deepEqual([res.status, res.body], [404, { Error: 'Access request not found' }], String(id));
      }
      const bad = await pendingList(srv, admin, '?status=maybe');
      assert.deepEqual([bad.status, bad.body], [400, { Error: 'invalid status' }]);
      const all = await pendingList(srv, admin, '');
      assert.equal(all.status, 200);
      assert.ok(all.body.requests.length >= 3, 'no filter lists every status');
    });

    test('an admin may not grant a level above their own', async () => {
      await signup(srv.baseUrl, 'greedy', '50');
      const id = (await pendingList(srv, admin)).body.requests.find((r: { s_name: string }) => r.s_name === 'greedy').id;
      const res = await decide(srv, admin, id, 'approve');
      assert.deepEqual([res.status, res.body], [403, { Error: 'Forbidden' }]);
    });

    test('a level change ends the sessions signed before it: the demoted admin\'s token is refused', async () => {
      const root = await findUserByUsername(srv.server.app.db, 'root');
      await updateAccessLevel(srv.server.app.db, root!.id, 1);
      const res = await pendingList(srv, admin);
      assert.equal(res.status, 401);
      await updateAccessLevel(srv.server.app.db, root!.id, 9);
      assert.equal((await pendingList(srv, admin)).status, 401, 'raising the level again does not bring the old token back');
    });
  });

  describe(`monitor web JWT lifetime (${d.name})`, { skip: d.skip }, () => {
    const clock = new ManualClock();
    let db: TestDatabase;
    let srv: TestServer;
    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, { clock });
      await signup(srv.baseUrl, 'timed');
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('a token works until exp (300 s by default) and not after', async () => {
      const { access_token: token } = await login(srv.baseUrl, 'timed');
      const claims = assertWebJwt(token);
      assert.equal(claims.iat, Math.floor(clock.now() / 1000));
      const app = srv.server.app;
      clock.advance(299_000);
      assert.equal((await readWebSession(app, `JWT ${token}`))?.user.username, 'timed');
      clock.advance(2_000);
      assert.equal(await readWebSession(app, `JWT ${token}`), null);
      const res = await http(srv.baseUrl, 'POST', '/user/logout', { headers: { authorization: `JWT ${token}` } });
      assert.deepEqual([res.status, res.body], [401, { Error: 'Unauthorized' }]);
    });

    test('logout revokes one token at once; other tokens of the same user keep working', async () => {
      const first = (await login(srv.baseUrl, 'timed')).access_token;
      const second = (await login(srv.baseUrl, 'timed')).access_token;
      const out = await http(srv.baseUrl, 'POST', '/user/logout', { headers: { authorization: `Bearer ${first}` } });
      assert.deepEqual([out.status, out.body], [200, { message: 'Logout successful' }]);
      assert.equal(await readWebSession(srv.server.app, `Bearer ${first}`), null);
      assert.notEqual(await readWebSession(srv.server.app, `JWT ${second}`), null);
    });
  });
}

describe('WEB_JWT_TTL_S', () => {
  test('sets the lifetime of new tokens', async () => {
    const db = await createTestDatabase('sqlite');
    const srv = await startTestServer(db, { env: { WEB_JWT_TTL_S: '60' } });
    try {
      await signup(srv.baseUrl, 'short');
      assertWebJwt((await login(srv.baseUrl, 'short')).access_token, 60);
    } finally {
      await srv.stop();
      await db.drop();
    }
  });
});
