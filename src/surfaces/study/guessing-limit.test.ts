import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { basic, UNAUTHORIZED } from './test-helpers.js';

/** Basic auth cannot be used to guess passwords at speed; tokens and good passwords are not slowed. */

const PASSWORD = 'pw-study-limit';

describe('study Basic-auth password guessing is limited', () => {
  let db: TestDatabase;
  let srv: TestServer;

  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startTestServer(db, { env: { STUDY_LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
    const reg = await http(srv.baseUrl, 'POST', '/api/register', { body: { username: 'guessme', password: PASSWORD } });
    assert.equal(reg.status, 200);
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
  });

  test('a success gives the budget back; the fourth wrong password in a minute is 429 even with the right one after', async () => {
    const token = await http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: basic('guessme', PASSWORD) });
    assert.equal(token.status, 200);
    for (let i = 0; i < 2; i++) {
      assert.equal((await http(srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic('guessme', `wrong-${i}`) })).status, 401);
    }
    // Right password: allowed, and the budget is full again.
    assert.equal((await http(srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic('guessme', PASSWORD) })).status, 200);
    for (let i = 0; i < 3; i++) {
      const res = await http(srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic('GUESSME', `wrong-${i}`) });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, UNAUTHORIZED);
    }
    const blocked = await http(srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic('guessme', PASSWORD) });
    assert.equal(blocked.status, 429);
    assert.deepEqual(blocked.body, { error: 'too many requests', message: 'Too many failed attempts, try again in a minute' });
    // The token still works: it spends nothing from the password budget.
    assert.equal((await http(srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic(token.body.token, '') })).status, 200);
  });
});
