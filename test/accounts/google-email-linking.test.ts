// Google login links to an account with the same e-mail only when both sides proved the
// address: Google's `email_verified` and the account's own proof (a dadashop activation
// link, or an earlier Google sign-up). Web sign-up proves nothing, so an account made there
// with someone else's address never receives that person's Google login.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { http } from '../support/clients.js';
import { eventually } from '../support/eventually.js';
import { startFakeOidcProvider, type FakeOidcProvider } from '../support/fake-oidc-provider.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';
import type { MailMessage, Mailer } from '../../src/core/mail/types.js';
import { findUserByEmail, findUserByUsername } from '../../src/core/users/user-repo.js';
import { storeCode } from '../../src/core/verification/codes.js';
import { GOOGLE_PROVIDER, userForGoogleIdentity } from '../../src/surfaces/accounts/google-users.js';
import { signupBody } from '../../src/surfaces/accounts/test-helpers.js';
import { DADASHOP_SMS_PURPOSE } from '../../src/surfaces/verify/dadashop-service.js';

const REDIRECT_URI = 'http://stoa.test/user/google-callback';

/** The whole browser round: /user/google-login, the provider's redirect, the callback. */
async function googleLogin(srv: TestServer, provider: FakeOidcProvider, account: FakeOidcProvider['account']) {
  provider.account = account;
  const start = await fetch(`${srv.baseUrl}/user/google-login`, { redirect: 'manual' });
  const back = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const query = new URL(back.headers.get('location')!).searchParams;
  return http(srv.baseUrl, 'GET', `/user/google-callback?${query}`);
}

/** The user id the Google subject is bound to, or undefined. */
async function boundUserId(srv: TestServer, subject: string): Promise<number | undefined> {
  const row = await srv.server.app.db
    .selectFrom('identities')
    .select('user_id')
    .where('provider', '=', GOOGLE_PROVIDER)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row?.user_id;
}

for (const d of await dialects()) {
  describe(`Google login links by e-mail only when both sides verified it (${d.name})`, { skip: d.skip }, () => {
    let provider: FakeOidcProvider;
    let db: TestDatabase;
    let srv: TestServer;
    const outbox: MailMessage[] = [];
    const mailer: Mailer = { kind: 'log', send: async (m) => void outbox.push(m), close: async () => {} };

    /** Signs up `uname` on the dadashop front end with `email`; it stays pending until activated. */
    async function dadashopSignup(uname: string, phone: string, email: string): Promise<void> {
      await storeCode(srv.server.app, DADASHOP_SMS_PURPOSE, phone, '1234', 180);
      const body = { uname, password: 'invented-pass-2', phone, email, verify: '1234', carts: null };
      const res = await http(srv.baseUrl, 'POST', '/v1/users', { body });
      assert.equal(res.body.code, 200, JSON.stringify(res.body));
    }

    /** Follows the activation link mailed to `uname`. */
    async function activate(uname: string): Promise<void> {
      const mail = await eventually(() => outbox.find((m) => m.text.includes(`您好 ${uname}`)), { what: `activation mail for ${uname}` });
      const link = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
      const res = await http(srv.baseUrl, 'GET', `/v1/users/activation?code=${link.searchParams.get('code')}`);
      assert.deepEqual(res.body, { code: 200, data: '激活成功' });
    }

    before(async () => {
      provider = await startFakeOidcProvider();
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, {
        mailer,
        env: {
          SOCKET_PORT: '-1',
          MAIL_RETRY_BASE_MS: '10',
          GOOGLE_ISSUER: provider.issuer,
          GOOGLE_CLIENT_ID: provider.clientId,
          GOOGLE_CLIENT_SECRET: provider.clientSecret,
          GOOGLE_REDIRECT_URI: REDIRECT_URI,
        },
      });
    });
    beforeEach(() => {
      provider.mode = 'ok';
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
      await provider?.close();
    });

    test('web sign-up with the victim e-mail: the victim Google login gets a separate account', async () => {
      const signup = await http(srv.baseUrl, 'POST', '/user/signup', { body: signupBody('victim', { s_email: 'Victim@Example.com' }) });
      assert.equal(signup.status, 200, JSON.stringify(signup.body));
      const attacker = (await findUserByUsername(srv.server.app.db, 'victim'))!;
      assert.equal(attacker.email_verified_at, null, 'web sign-up does not prove the e-mail');

      const res = await googleLogin(srv, provider, { sub: 'sub-victim', email: 'victim@example.com', email_verified: true });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.user_info.s_name, /^victim_[0-9a-f]{6}$/, 'a username that does not collide');
      assert.equal(res.body.user_info.s_email, null, 'the address stays with the account that holds it');
      const victimId = await boundUserId(srv, 'sub-victim');
      assert.notEqual(victimId, attacker.id);
      assert.equal((await srv.server.app.jwt.verify(res.body.access_token))?.identity, victimId);

      const again = await googleLogin(srv, provider, { sub: 'sub-victim', email: 'victim@example.com', email_verified: true });
      assert.equal(again.body.user_info.s_name, res.body.user_info.s_name, 'the next login finds the same separate account');
      assert.equal(await boundUserId(srv, 'sub-victim'), victimId);
    });

    test('a dadashop account is linked only once its activation link proved the e-mail', async () => {
      await dadashopSignup('dana', '13900000002', 'Dana@Example.com');
      const pending = (await findUserByUsername(srv.server.app.db, 'dana'))!;
      assert.equal(pending.email_verified_at, null);
      const early = await googleLogin(srv, provider, { sub: 'sub-dana-early', email: 'dana@example.com', email_verified: true });
      assert.equal(early.status, 200, JSON.stringify(early.body));
      assert.notEqual(await boundUserId(srv, 'sub-dana-early'), pending.id, 'a pending account is not linked');

      await activate('dana');
      const active = (await findUserByUsername(srv.server.app.db, 'dana'))!;
      assert.equal(active.status, 'active');
      assert.notEqual(active.email_verified_at, null, 'activation records the proof');

      const res = await googleLogin(srv, provider, { sub: 'sub-dana', email: 'DANA@example.com', email_verified: true });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user_info.s_name, 'dana');
      assert.equal(await boundUserId(srv, 'sub-dana'), active.id);
    });

    test('Google saying email_verified false never links, even to a verified account', async () => {
      await dadashopSignup('erin', '13900000003', 'erin@example.com');
      await activate('erin');
      const erin = (await findUserByUsername(srv.server.app.db, 'erin'))!;
      assert.notEqual(erin.email_verified_at, null);

      const res = await googleLogin(srv, provider, { sub: 'sub-erin', email: 'erin@example.com', email_verified: false });
      assert.deepEqual([res.status, res.body], [400, { error: 'e-mail not verified by the provider' }]);
      assert.equal(await boundUserId(srv, 'sub-erin'), undefined);

      const direct = await userForGoogleIdentity(srv.server.app, { sub: 'sub-erin-direct', email: 'erin@example.com', emailVerified: false });
      assert.notEqual(direct.id, erin.id);
      assert.equal(direct.email, null);
      assert.equal(direct.email_verified_at, null);
    });

    test('an unverified Google e-mail on a new account is kept but not trusted', async () => {
      const user = await userForGoogleIdentity(srv.server.app, { sub: 'sub-fay', email: 'fay@example.com', emailVerified: false });
      assert.deepEqual([user.email, user.email_verified_at], ['fay@example.com', null]);
      const other = await userForGoogleIdentity(srv.server.app, { sub: 'sub-fay-2', email: 'fay@example.com', emailVerified: true });
      assert.notEqual(other.id, user.id);
    });

    test('an existing Google identity still logs in to its account, whatever e-mail it now shows', async () => {
      const first = await googleLogin(srv, provider, { sub: 'sub-gina', email: 'gina@example.com', email_verified: true });
      assert.deepEqual([first.status, first.body.user_info.s_name, first.body.user_info.s_email], [200, 'gina', 'gina@example.com']);
      const gina = (await findUserByEmail(srv.server.app.db, 'gina@example.com'))!;
      assert.notEqual(gina.email_verified_at, null, 'a verified Google e-mail proves the new account address');

      const again = await googleLogin(srv, provider, { sub: 'sub-gina', email: 'gina@example.com', email_verified: true });
      assert.equal(again.body.user_info.s_name, 'gina');
      const moved = await googleLogin(srv, provider, { sub: 'sub-gina', email: 'victim@example.com', email_verified: true });
      assert.equal(moved.body.user_info.s_name, 'gina');
      assert.equal(await boundUserId(srv, 'sub-gina'), gina.id);
    });

    test('a second Google account with the verified address of a Google-made account is linked to it', async () => {
      const gina = (await findUserByUsername(srv.server.app.db, 'gina'))!;
      const res = await googleLogin(srv, provider, { sub: 'sub-gina-workspace', email: 'Gina@Example.com', email_verified: true });
      assert.equal(res.body.user_info.s_name, 'gina');
      assert.equal(await boundUserId(srv, 'sub-gina-workspace'), gina.id);
    });
  });
}
