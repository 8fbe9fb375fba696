import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, test } from 'node:test';
import { eventually } from '../../../test/support/eventually.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../../test/support/stoa.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { storeCode } from '../../core/verification/codes.js';
import { DADASHOP_SMS_PURPOSE } from './dadashop-service.js';
import { startVerifyServer, type VerifyServer } from './test-helpers.js';

/** A dadashop sign-up sent with a forged Host header (fetch cannot set one). */
function signUpWithHost(baseUrl: string, host: string, fields: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ password: 'invented-pass-3', email: `${String(fields.uname)}@example.com`, verify: '1234', carts: null, ...fields });
  const url = new URL('/v1/users', baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const linkIn = (srv: VerifyServer, username: string) => {
  const mail = srv.outbox.find((m) => m.text.includes(`您好 ${username}`));
  return mail?.text.match(/https?:\/\/\S+/)?.[0];
};

for (const d of await dialects()) {
  describe(`activation links come from configuration, never from the Host header (${d.name})`, { skip: d.skip }, () => {
    const servers: VerifyServer[] = [];
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const s of servers) await s.stop();
      for (const db of databases) await db.drop();
    });
    async function serve(env: Record<string, string>): Promise<VerifyServer> {
      const db = await createTestDatabase(d.name);
      databases.push(db);
      const srv = await startVerifyServer(db, { env: { CONSOLE_DIR: 'off', ...env } });
      servers.push(srv);
      return srv;
    }
    const plant = (srv: VerifyServer, phone: string) => storeCode(srv.server.app, DADASHOP_SMS_PURPOSE, phone, '1234', 180);

    test('a loopback server links to its own address, whatever Host the request claims', async () => {
      const srv = await serve({});
      await plant(srv, '13900000011');
      const res = await signUpWithHost(srv.baseUrl, 'attacker.example', { uname: 'hosty', phone: '13900000011' });
      assert.equal(res.body.code, 200);
      const link = await eventually(() => linkIn(srv, 'hosty'), { what: 'the activation mail' });
      assert.ok(link.startsWith(`${srv.baseUrl}/v1/users/activation?code=`), link);
      assert.doesNotMatch(link, /attacker/);
    });

    test('PUBLIC_URL is the base when set', async () => {
      const srv = await serve({ PUBLIC_URL: 'https://shop.example.com/stoa' });
      await plant(srv, '13900000012');
      const res = await signUpWithHost(srv.baseUrl, 'attacker.example', { uname: 'publicy', phone: '13900000012' });
      assert.equal(res.body.code, 200);
      const link = await eventually(() => linkIn(srv, 'publicy'), { what: 'the activation mail' });
      assert.ok(link.startsWith('https://shop.example.com/stoa/v1/users/activation?code='), link);
    });

    test('a server reachable from outside with no PUBLIC_URL refuses the sign-up before making the account', async () => {
      const srv = await serve({ HOST: '0.0.0.0' });
      await plant(srv, '13900000013');
      const res = await signUpWithHost(srv.baseUrl.replace('0.0.0.0', '127.0.0.1'), 'attacker.example', { uname: 'refused', phone: '13900000013' });
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 503);
      assert.equal(await findUserByUsername(srv.server.app.db, 'refused'), undefined, 'no account was made');
      assert.equal(linkIn(srv, 'refused'), undefined);
    });
  });
}
