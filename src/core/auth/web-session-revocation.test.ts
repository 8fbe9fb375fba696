import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { http } from '../../../test/support/clients.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { login, signup } from '../../surfaces/accounts/test-helpers.js';
import { ManualClock } from '../../lib/clock.js';
import { endWebSessions, findUserByUsername, updateAccessLevel, updatePasswordHash } from '../users/user-repo.js';
import { issueDadashopToken, readDadashopToken } from './dadashop-token.js';

const auth = (token: string) => ({ authorization: `JWT ${token}` });
const accessRight = (srv: TestServer, token: string) => http(srv.baseUrl, 'GET', '/user/access_right', { headers: auth(token) });
const logout = (srv: TestServer, token: string) => http(srv.baseUrl, 'POST', '/user/logout', { headers: auth(token) });
const setLevel = (srv: TestServer, adminToken: string, id: number, level: number) =>
  http(srv.baseUrl, 'PUT', `/user/admin/users/${id}/level`, { headers: auth(adminToken), body: { access_level: level } });

/** Removes every key under `prefix`, as a Redis flush would for this server. */
async function flushPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) removed += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}

for (const d of await dialects()) {
  describe(`web token revocation is kept in the database (${d.name})`, { skip: d.skip }, () => {
    const clock = new ManualClock(Date.now());
    let db: TestDatabase;
    let srv: TestServer;
    const restart = async (env: Record<string, string> = {}) => {
      await srv.stop();
      srv = await startTestServer(db, { clock, env });
    };
    const userId = async (name: string) => (await findUserByUsername(srv.server.app.db, name))!.id;
    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, { clock });
      await signup(srv.baseUrl, 'boss');
      await updateAccessLevel(srv.server.app.db, await userId('boss'), 9);
      for (const name of ['lou', 'lev', 'pat', 'old', 'neo']) await signup(srv.baseUrl, name);
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('a logged-out token stays refused after a restart; a fresh login works', async () => {
      const { access_token: token } = await login(srv.baseUrl, 'lou');
      const other = (await login(srv.baseUrl, 'lou')).access_token;
      assert.equal((await accessRight(srv, token)).status, 200);
      assert.equal((await logout(srv, token)).status, 200);
      assert.equal((await accessRight(srv, token)).status, 401);
      await restart();
      assert.equal((await accessRight(srv, token)).status, 401, 'refused by the restarted server');
      assert.equal((await logout(srv, token)).status, 401);
      assert.equal((await accessRight(srv, other)).status, 200, "the user's other session goes on");
      const fresh = (await login(srv.baseUrl, 'lou')).access_token;
      assert.equal((await accessRight(srv, fresh)).status, 200);
    });

    test("a level change ends the user's earlier tokens, across a restart; a fresh login works", async () => {
      const admin = (await login(srv.baseUrl, 'boss')).access_token;
      const before = (await login(srv.baseUrl, 'lev')).access_token;
      const id = await userId('lev');
      assert.equal((await accessRight(srv, before)).status, 200);
      assert.equal((await setLevel(srv, admin, id, 3)).status, 200);
      assert.equal((await accessRight(srv, before)).status, 401);
      assert.equal((await accessRight(srv, admin)).status, 200, "the admin's own session goes on");
      await restart();
      assert.equal((await accessRight(srv, before)).status, 401, 'refused by the restarted server');
      const after = await login(srv.baseUrl, 'lev');
      assert.equal(after.user_info.access_level, 3);
      assert.equal((await accessRight(srv, after.access_token)).status, 200);
      assert.equal((await setLevel(srv, admin, id, 3)).status, 200, 'setting the same level again');
      assert.equal((await accessRight(srv, after.access_token)).status, 200, 'ends nothing');
    });

    test('ending a user\'s sessions (as a password change does) ends web and dadashop tokens, across a restart', async () => {
      const app = () => srv.server.app;
      const web = (await login(srv.baseUrl, 'pat')).access_token;
      const dadashop = await issueDadashopToken(app(), 'pat');
      assert.ok(await readDadashopToken(app(), dadashop));
      await updatePasswordHash(app().db, await userId('pat'), await app().passwords.hash('pw-pat-456'));
      await endWebSessions(app().db, await userId('pat'));
      await restart();
      assert.equal((await accessRight(srv, web)).status, 401);
      assert.equal(await readDadashopToken(app(), dadashop), null);
      const res = await http(srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'pat', s_password: 'pw-pat-456' } });
      assert.equal((await accessRight(srv, res.body.access_token)).status, 200);
      assert.ok(await readDadashopToken(app(), await issueDadashopToken(app(), 'pat')));
    });

    test('tokens signed before session epochs existed keep working until something ends them', async () => {
      const token = (await login(srv.baseUrl, 'neo')).access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
      assert.equal('session_epoch' in claims, false, 'no claim while the epoch is 0');
      const earlierFormat = await srv.server.app.jwt.sign({ identity: await userId('neo') }, 300);
      assert.equal((await accessRight(srv, earlierFormat)).status, 200);
      await updateAccessLevel(srv.server.app.db, await userId('neo'), 1);
      assert.equal((await accessRight(srv, earlierFormat)).status, 401, 'ended like any other');
      const later = (await login(srv.baseUrl, 'neo')).access_token;
      assert.equal((await accessRight(srv, later)).status, 200);
      clock.advance(301_000);
      assert.equal((await accessRight(srv, later)).status, 401, 'expiry still applies');
    });
  });

  describe(`web token revocation survives losing Redis (${d.name}, cluster mode)`, { skip: d.skip }, () => {
    const clock = new ManualClock(Date.now());
    const prefix = uniqueRedisPrefix();
    let redisUrl: string | null = null;
    let db: TestDatabase;
    let srv: TestServer | undefined;
    let env: Record<string, string>;
    before(async () => {
      redisUrl = await testRedisUrl();
      if (!redisUrl) return;
      env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, { clock, env });
      await signup(srv.baseUrl, 'ray');
      await signup(srv.baseUrl, 'boss');
      await updateAccessLevel(srv.server.app.db, (await findUserByUsername(srv.server.app.db, 'boss'))!.id, 9);
    });
    after(async () => {
      await srv?.stop();
      if (redisUrl) await flushPrefix(redisUrl, prefix);
      await db?.drop();
    });

    test('logout and a level change still hold after the prefix is flushed and the node restarts', async (t) => {
      if (!redisUrl || !srv) return t.skip('Redis not reachable');
      const loggedOut = (await login(srv.baseUrl, 'ray')).access_token;
      const demoted = (await login(srv.baseUrl, 'ray')).access_token;
      assert.equal((await logout(srv, loggedOut)).status, 200);
      await flushPrefix(redisUrl, prefix);
      assert.equal((await accessRight(srv, loggedOut)).status, 401, 'refused after the flush');
      assert.equal((await accessRight(srv, demoted)).status, 200);
      const admin = (await login(srv.baseUrl, 'boss')).access_token;
      const rayId = (await findUserByUsername(srv.server.app.db, 'ray'))!.id;
      assert.equal((await setLevel(srv, admin, rayId, 2)).status, 200);
      await flushPrefix(redisUrl, prefix);
      await srv.stop();
      srv = await startTestServer(db, { clock, env });
      assert.equal((await accessRight(srv, loggedOut)).status, 401);
      assert.equal((await accessRight(srv, demoted)).status, 401);
      assert.equal((await accessRight(srv, (await login(srv.baseUrl, 'ray')).access_token)).status, 200);
    });
  });
}
