import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { basic, UNAUTHORIZED } from './test-helpers.js';

/** The console trades its web JWT for a study token (beyond the seed). */

const PASSWORD = 'pw-study-console';

for (const d of await dialects()) {
  describe(`study token from the console's web session (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    let jwt: string;
    let userId: number;

    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db);
      const reg = await http(srv.baseUrl, 'POST', '/api/register', { body: { username: 'stuweb', password: PASSWORD } });
      assert.equal(reg.status, 200);
      const login = await http(srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'stuweb', s_password: PASSWORD } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      jwt = login.body.access_token;
      userId = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).identity;
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('GET /token with Bearer (or JWT) web JWT gives a working study token for the same user', async () => {
      for (const scheme of ['Bearer', 'JWT']) {
        const res = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: { authorization: `${scheme} ${jwt}` } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(Object.keys(res.body).sort(), ['expiration', 'token']);
        assert.equal(res.body.expiration, 3600);
        const me = await http(srv.baseUrl, 'GET', `/api/v1.0/users/${userId}`, { headers: basic(res.body.token, '') });
        assert.equal(me.status, 200);
        assert.equal(me.body.username, 'stuweb');
        // A study token still cannot mint another.
        const again = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: basic(res.body.token, '') });
        assert.deepEqual([again.status, again.body], [401, UNAUTHORIZED]);
      }
    });

    test('a bad web JWT is 401 (no browser prompt for XHR); Basic with a password still works', async () => {
      const bad = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: { authorization: 'Bearer not.a.jwt' } });
      assert.deepEqual([bad.status, bad.body], [401, UNAUTHORIZED]);
      assert.equal(bad.headers.get('www-authenticate'), 'Basic realm="Authentication Required"');
      const xhr = await http(srv.baseUrl, 'GET', '/api/v1.0/token', {
        headers: { authorization: 'Bearer not.a.jwt', 'x-requested-with': 'XMLHttpRequest' },
      });
      assert.equal(xhr.status, 401);
      assert.equal(xhr.headers.get('www-authenticate'), null);
      const pw = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: basic('stuweb', PASSWORD) });
      assert.equal(pw.status, 200);
    });

    test('a logged-out web JWT no longer gives study tokens', async () => {
      const login = await http(srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'stuweb', s_password: PASSWORD } });
      const token = login.body.access_token as string;
      const out = await http(srv.baseUrl, 'POST', '/user/logout', { headers: { authorization: `JWT ${token}` } });
      assert.equal(out.status, 200, JSON.stringify(out.body));
      const res = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: { authorization: `Bearer ${token}` } });
      assert.deepEqual([res.status, res.body], [401, UNAUTHORIZED]);
    });
  });
}
