import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../lib/clock.js';
import { createJwtKit, loadJwtSecret, type JwtKit } from './jwt.js';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dialects, createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { deleteExpiredTokens, findTokenUser, issueToken, revokeToken, revokeUserTokens, tokenSlideStepMs, validateToken } from './tokens.js';
import { sha256Hex } from '../../lib/crypto.js';
import { registerAccount } from '../users/accounts.js';

for (const d of await dialects()) {
  describe(`JWT kit on ${d.name}`, { skip: d.skip }, () => {
    const clock = new ManualClock();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-jwt-'));
    let db: TestDatabase;
    let stoa: TestServer;
    let kit: JwtKit;
    before(async () => {
      db = await createTestDatabase(d.name);
      stoa = await startTestServer(db, { clock });
      kit = createJwtKit(loadJwtSecret(null, dir), clock, stoa.server.app.db);
    });
    after(async () => {
      await stoa.stop();
      await db.drop();
    });

    test('the generated secret is kept in DATA_DIR with mode 0600 and reused', () => {
      const again = loadJwtSecret(null, dir);
      assert.deepEqual(again, loadJwtSecret(null, dir));
      assert.equal(statSync(path.join(dir, 'jwt-secret')).mode & 0o777, 0o600);
    });

    test('sign carries iat, nbf, exp, jti; verify honours expiry and revocation', async () => {
      const token = await kit.sign({ identity: 7 }, 300);
      const payload = await kit.verify(token);
      assert.equal(payload?.identity, 7);
      assert.equal(payload!.exp! - payload!.iat!, 300);
      assert.equal(payload!.nbf, payload!.iat);
      assert.match(String(payload!.jti), /^[0-9a-f]{32}$/);
      clock.advance(301_000);
      assert.equal(await kit.verify(token), null);
      const second = await kit.sign({ identity: 7 }, 300);
      await kit.revoke((await kit.verify(second))!);
      assert.equal(await kit.verify(second), null);
      assert.equal((await kit.verifyIgnoringRevocation(second))?.identity, 7, 'the caller checks revocation itself');
    });

    test('a revocation is kept in the database until its token has expired, then swept', async () => {
      const token = await kit.sign({ identity: 8 }, 300);
      const payload = (await kit.verify(token))!;
      await kit.revoke(payload);
      await kit.revoke(payload);
      const fresh = createJwtKit(loadJwtSecret(null, dir), clock, stoa.server.app.db);
      assert.equal(await fresh.verify(token), null, 'a kit built afresh (a restart) still refuses it');
      const jtis = async () => (await stoa.server.app.db.selectFrom('revoked_tokens' as never).select('jti' as never).execute()).map((r) => (r as { jti: string }).jti);
      assert.ok((await jtis()).includes(String(payload.jti)));
      clock.advance(301_000 + 60_000);
      await kit.revoke((await kit.verify(await kit.sign({ identity: 9 }, 300)))!);
      assert.ok(!(await jtis()).includes(String(payload.jti)), 'swept once well past its expiry');
    });

    test('tampered or foreign tokens are refused', async () => {
      const token = await kit.sign({ identity: 1 }, 300);
      const other = createJwtKit(new TextEncoder().encode('x'.repeat(40)), clock, stoa.server.app.db);
      assert.equal(await other.verify(token), null);
      assert.equal(await kit.verify(`${token.slice(0, -2)}xx`), null);
      assert.equal(await kit.verify('not.a.jwt'), null);
    });
  });
}

for (const d of await dialects()) {
  describe(`opaque tokens on ${d.name}`, { skip: d.skip }, () => {
    const clock = new ManualClock();
    let db: TestDatabase;
    let stoa: TestServer;
    let userId: number;
    before(async () => {
      db = await createTestDatabase(d.name);
      stoa = await startTestServer(db, { clock });
      userId = await registerAccount(stoa.server.app, { username: 'tok', password: 'pw' });
    });
    after(async () => {
      await stoa.stop();
      await db.drop();
    });

    test('only the SHA-256 is stored; expiry slides; revocation is immediate', async () => {
      const app = stoa.server.app;
      const token = await issueToken(app, userId, 'test', 60);
      const rows = await app.db.selectFrom('tokens').select('hash').execute();
      assert.ok(rows.every((r) => r.hash !== token && r.hash.length === 64));
      clock.advance(50_000);
      assert.equal(await validateToken(app, token, 'test'), userId);
      clock.advance(50_000);
      assert.equal(await validateToken(app, token, 'test'), userId, 'slid by the previous use');
      assert.equal(await validateToken(app, token, 'other-kind'), null);
      clock.advance(61_000);
      assert.equal(await validateToken(app, token, 'test'), null);
      assert.equal(await deleteExpiredTokens(app), 1);

      const a = await issueToken(app, userId, 'test', 60);
      const b = await issueToken(app, userId, 'test', 60);
      await revokeToken(app, a);
      assert.equal(await validateToken(app, a, 'test'), null);
      assert.equal(await validateToken(app, b, 'test'), userId);
      await revokeUserTokens(app, userId, 'test');
      assert.equal(await validateToken(app, b, 'test'), null);
      assert.equal(await validateToken(app, 'zz', 'test'), null);
    });

    test('a use writes the expiry only when it trails by more than a slide step', async () => {
      const app = stoa.server.app;
      const ttlS = 3600;
      assert.equal(tokenSlideStepMs(ttlS), 60_000);
      assert.equal(tokenSlideStepMs(60), 6_000);
      const token = await issueToken(app, userId, 'test', ttlS);
      const stored = async () => Number((await app.db.selectFrom('tokens').select('expires_at').where('hash', '=', sha256Hex(token)).executeTakeFirstOrThrow()).expires_at);
      const issuedExpiry = await stored();
      clock.advance(59_000);
      assert.equal((await findTokenUser(app, token, 'test'))?.username, 'tok');
      assert.equal(await stored(), issuedExpiry, 'within a step: nothing written');
      clock.advance(2_000);
      assert.equal(await validateToken(app, token, 'test'), userId);
      assert.equal(await stored(), clock.now() + ttlS * 1000, 'past a step: slid to now + ttl');
      // It ends ttl after its last use, less at most one step.
      clock.advance(ttlS * 1000 - tokenSlideStepMs(ttlS));
      assert.equal(await validateToken(app, token, 'test'), userId);
      clock.advance(ttlS * 1000 + 1);
      assert.equal(await validateToken(app, token, 'test'), null);
    });
  });

  describe(`opaque tokens on two nodes sharing ${d.name}`, { skip: d.skip }, () => {
    const clock = new ManualClock();
    let db: TestDatabase;
    let a: TestServer;
    let b: TestServer;
    let userId: number;
    before(async () => {
      db = await createTestDatabase(d.name);
      a = await startTestServer(db, { clock });
      b = await startTestServer(db, { clock });
      userId = await registerAccount(a.server.app, { username: 'two', password: 'pw' });
    });
    after(async () => {
      await a.stop();
      await b.stop();
      await db.drop();
    });

    test('expiry slid on one node holds on the other; revocation on one ends the token on the other at once', async () => {
      const [nodeA, nodeB] = [a.server.app, b.server.app];
      const token = await issueToken(nodeA, userId, 'test', 60);
      assert.equal(await validateToken(nodeB, token, 'test'), userId);
      for (let i = 0; i < 5; i++) {
        clock.advance(40_000);
        assert.equal(await validateToken(i % 2 === 0 ? nodeB : nodeA, token, 'test'), userId, `use ${i} at +${(i + 1) * 40} s`);
      }
      clock.advance(40_000);
      assert.equal(await validateToken(nodeA, token, 'test'), userId, 'slid by the uses on both nodes');
      await revokeToken(nodeA, token);
      assert.equal(await validateToken(nodeB, token, 'test'), null);
      const other = await issueToken(nodeB, userId, 'test', 60);
      assert.equal(await validateToken(nodeA, other, 'test'), userId);
      await revokeUserTokens(nodeB, userId, 'test');
      assert.equal(await validateToken(nodeA, other, 'test'), null);
    });
  });
}
