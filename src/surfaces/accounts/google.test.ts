import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { readWebSession } from '../../core/auth/web-session.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { startFakeOidcProvider, type FakeOidcProvider, type ProviderMode } from '../../../test/support/fake-oidc-provider.js';
import { GOOGLE_PROVIDER } from './google-users.js';
import { assertWebJwt, signup } from './test-helpers.js';

/** The public callback URL the provider redirects to; the test carries its query to the server itself. */
const REDIRECT_URI = 'http://stoa.test/user/google-callback';

/** Runs /user/google-login and the provider's authorization endpoint; returns the callback's query string. */
async function authorize(srv: TestServer): Promise<URLSearchParams> {
  const start = await fetch(`${srv.baseUrl}/user/google-login`, { redirect: 'manual' });
  assert.equal(start.status, 302);
  const back = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  assert.equal(back.status, 302);
  const location = new URL(back.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
  return location.searchParams;
}

const callback = (srv: TestServer, query: URLSearchParams | string) => http(srv.baseUrl, 'GET', `/user/google-callback?${query}`);

/** A full login with the provider in `mode`. */
async function googleLogin(srv: TestServer, provider: FakeOidcProvider, mode: ProviderMode = 'ok') {
  provider.mode = mode;
  return callback(srv, await authorize(srv));
}

for (const d of await dialects()) {
  describe(`monitor Google login against a fake OpenID provider (${d.name})`, { skip: d.skip }, () => {
    let provider: FakeOidcProvider;
    let db: TestDatabase;
    let srv: TestServer;
    before(async () => {
      provider = await startFakeOidcProvider();
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, {
        env: {
          GOOGLE_ISSUER: provider.issuer,
          GOOGLE_CLIENT_ID: provider.clientId,
          GOOGLE_CLIENT_SECRET: provider.clientSecret,
          GOOGLE_REDIRECT_URI: REDIRECT_URI,
        },
      });
    });
    beforeEach(() => {
      provider.mode = 'ok';
      provider.account = { sub: 'sub-alice', email: 'alice@example.com', email_verified: true };
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
      await provider?.close();
    });

    test('google-login redirects with client_id, redirect_uri, code, scope, state and S256 PKCE', async () => {
      const res = await fetch(`${srv.baseUrl}/user/google-login`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const url = new URL(res.headers.get('location')!);
      assert.equal(`${url.origin}${url.pathname}`, `${provider.issuer}/authorize`);
      const q = url.searchParams;
      assert.equal(q.get('client_id'), provider.clientId);
      assert.equal(q.get('redirect_uri'), REDIRECT_URI);
      assert.equal(q.get('response_type'), 'code');
      assert.equal(q.get('scope'), 'openid email profile');
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((q.get('state') ?? '').length >= 32);
      assert.ok(await srv.server.app.state.kv.ttlMs(`google-oidc:${q.get('state')}`) as number > 9 * 60 * 1000, 'state kept ~10 min');
    });

    test('success: a new level-0 account named after the e-mail, bound to the subject, with a working JWT', async () => {
      const res = await googleLogin(srv, provider);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        message: 'Google login successful',
        user_info: { s_name: 'alice', s_email: 'alice@example.com', s_phone: null, access_level: 0 },
        access_token: res.body.access_token,
      });
      const claims = assertWebJwt(res.body.access_token);
      const session = await readWebSession(srv.server.app, `JWT ${res.body.access_token}`);
      assert.equal(session?.user.id, claims.identity);
      const token = provider.tokenRequests.at(-1)!;
      assert.equal(token.get('redirect_uri'), REDIRECT_URI);
      assert.ok(token.get('code_verifier'), 'PKCE verifier sent');
      const bound = await srv.server.app.db.selectFrom('identities').selectAll().where('provider', '=', GOOGLE_PROVIDER).execute();
      assert.deepEqual(bound.map((r) => [r.subject, r.user_id]), [['sub-alice', session!.user.id]]);
    });

    test('the bound subject finds the same account even after the provider changes the e-mail', async () => {
      provider.account = { sub: 'sub-alice', email: 'alice.new@example.com', email_verified: true };
      const res = await googleLogin(srv, provider);
      assert.equal(res.status, 200);
      assert.equal(res.body.user_info.s_name, 'alice');
    });

    test('a web account with the same but never verified e-mail is kept apart from the Google login', async () => {
      await signup(srv.baseUrl, 'bob');
      provider.account = { sub: 'sub-bob', email: 'BOB@example.com', email_verified: true };
      const res = await googleLogin(srv, provider);
      assert.equal(res.status, 200);
      assert.match(res.body.user_info.s_name, /^bob_[0-9a-f]{6}$/);
      assert.equal(res.body.user_info.s_email, null);
      const bob = (await findUserByUsername(srv.server.app.db, 'bob'))!;
      const bound = await srv.server.app.db.selectFrom('identities').select('user_id').where('subject', '=', 'sub-bob').executeTakeFirstOrThrow();
      assert.notEqual(bound.user_id, bob.id);
    });

    test('a taken username gets a unique suffix', async () => {
      await signup(srv.baseUrl, 'carol');
      provider.account = { sub: 'sub-carol2', email: 'carol@elsewhere.example', email_verified: true };
      const res = await googleLogin(srv, provider);
      assert.equal(res.status, 200);
      assert.match(res.body.user_info.s_name, /^carol_[0-9a-f]{6}$/);
    });

    const failures: Array<[string, ProviderMode, string | RegExp]> = [
      ['an ID token signed with another key (same kid)', 'bad_signature', 'ID token signature invalid'],
      ['an ID token for another audience', 'wrong_audience', /^ID token rejected: .*aud/],
      ['an expired ID token', 'expired', 'ID token expired or not yet valid'],
      ['an unverified e-mail', 'unverified_email', 'e-mail not verified by the provider'],
      ['a token endpoint error', 'token_error', 'token exchange failed: invalid_grant'],
    ];
    for (const [what, mode, error] of failures) {
      test(`${what} -> 400 and no account`, async () => {
        provider.account = { sub: `sub-${mode}`, email: `${mode}@example.com`, email_verified: true };
        const res = await googleLogin(srv, provider, mode);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.deepEqual(Object.keys(res.body), ['error']);
        if (typeof error === 'string') assert.equal(res.body.error, error);
        else assert.match(res.body.error, error);
        assert.equal(await srv.server.app.db.selectFrom('users').select('id').where('email', '=', `${mode}@example.com`).executeTakeFirst(), undefined);
      });
    }

    test('bad, missing, replayed state and missing code -> 400 before the provider is asked', async () => {
      const query = await authorize(srv);
      const tokenCalls = provider.tokenRequests.length;
      const forged = new URLSearchParams({ code: query.get('code')!, state: 'forged-state' });
      assert.deepEqual((await callback(srv, forged)).body, { error: 'invalid or expired state' });
      assert.deepEqual((await callback(srv, `code=${query.get('code')}`)).body, { error: 'missing state' });
      assert.deepEqual((await callback(srv, `state=${query.get('state')}`)).body, { error: 'missing code' });
      assert.equal(provider.tokenRequests.length, tokenCalls);
      assert.equal((await callback(srv, query)).status, 200);
      const replay = await callback(srv, query);
      assert.deepEqual([replay.status, replay.body], [400, { error: 'invalid or expired state' }]);
    });

    test('the provider reporting an error on the callback -> 400', async () => {
      const { state } = Object.fromEntries(await authorize(srv));
      const res = await callback(srv, new URLSearchParams({ error: 'access_denied', state: state! }));
      assert.deepEqual([res.status, res.body], [400, { error: 'provider returned an error: access_denied' }]);
    });
  });
}

describe('Google login with an unreachable provider', () => {
  test('google-login answers 400 naming the failed discovery', async () => {
    const db = await createTestDatabase('sqlite');
    const srv = await startTestServer(db, {
      env: { GOOGLE_ISSUER: 'http://127.0.0.1:9', GOOGLE_CLIENT_ID: 'x', GOOGLE_CLIENT_SECRET: 'y', GOOGLE_REDIRECT_URI: REDIRECT_URI },
    });
    try {
      const res = await http(srv.baseUrl, 'GET', '/user/google-login');
      assert.deepEqual([res.status, res.body], [400, { error: 'OpenID discovery failed' }]);
    } finally {
      await srv.stop();
      await db.drop();
    }
  });
});
