import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { md5Hex } from '../../lib/crypto.js';
import { loadConfig } from '../../config.js';
import { classifyImportedSecret, PasswordHasher } from './passwords.js';

/** The production defaults, read through the config loader (not repeated here). */
const DEFAULTS = loadConfig({}).argon2;
/** Cheap parameters for the tests that are about forms, not cost. */
const CHEAP = { memoryKib: 1024, timeCost: 1, parallelism: 1 };

/** A Werkzeug-style hash built with node:crypto: `pbkdf2:sha256:<iterations>$<salt>$<hex>`, salt used as UTF-8. */
function werkzeugPbkdf2(password: string, salt: string, iterations: number): string {
  const hex = pbkdf2Sync(password, Buffer.from(salt, 'utf8'), iterations, 32, 'sha256').toString('hex');
  return `pbkdf2:sha256:${iterations}$${salt}$${hex}`;
}

/** Mean wall time of `fn` over `runs` runs, in ms. */
async function meanMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - started) / runs;
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(DEFAULTS);
  const cheap = new PasswordHasher(CHEAP);

  test('hashes with argon2id at the default parameters (19 MiB, t=2, p=1)', async () => {
    assert.deepEqual(DEFAULTS, { memoryKib: 19456, timeCost: 2, parallelism: 1 });
    const hash = await hasher.hash('correct horse');
    assert.ok(hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'), hash);
    assert.notEqual(await hasher.hash('correct horse'), hash, 'every hash has its own salt');
  });

  test('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('correct horse');
    assert.deepEqual(await hasher.verify(hash, 'correct horse'), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify(hash, 'correct horsE'), { ok: false, needsRehash: false });
    assert.deepEqual(await hasher.verify(hash, ''), { ok: false, needsRehash: false });
  });

  test('asks for a rehash when the stored parameters differ from today’s', async () => {
    const weak = await cheap.hash('pw');
    assert.ok(weak.startsWith('$argon2id$v=19$m=1024,t=1,p=1$'));
    assert.deepEqual(await hasher.verify(weak, 'pw'), { ok: true, needsRehash: true });
    assert.deepEqual(await cheap.verify(weak, 'pw'), { ok: true, needsRehash: false });
    const stronger = new PasswordHasher({ ...CHEAP, timeCost: 2 });
    assert.deepEqual(await stronger.verify(weak, 'pw'), { ok: true, needsRehash: true });
    assert.deepEqual(await stronger.verify(weak, 'wrong'), { ok: false, needsRehash: false }, 'no rehash on a failed check');
  });

  test('a corrupt argon2 string is a failed check, not an error', async () => {
    assert.deepEqual(await cheap.verify('$argon2id$v=19$m=1024,t=1,p=1$broken', 'pw'), { ok: false, needsRehash: false });
  });

  describe('Werkzeug hashes', () => {
    test('pbkdf2:sha256 built the way Werkzeug builds it verifies and asks for a rehash', async () => {
      const stored = werkzeugPbkdf2('correct horse', 'NaCl1234', 1000);
      assert.match(stored, /^pbkdf2:sha256:1000\$NaCl1234\$[0-9a-f]{64}$/);
      assert.deepEqual(await cheap.verify(stored, 'correct horse'), { ok: true, needsRehash: true });
      assert.equal((await cheap.verify(stored, 'wrong horse')).ok, false);
    });

    test('the salt is UTF-8 text, not hex or base64', async () => {
      const stored = werkzeugPbkdf2('pässwörd', 'sälz€', 500);
      assert.equal((await cheap.verify(stored, 'pässwörd')).ok, true);
    });

    test('a vector produced by Werkzeug 3.1 itself', async () => {
      // werkzeug.security.generate_password_hash('correct horse battery', method='pbkdf2:sha256:1000', salt_length=8)
      const stored = 'pbkdf2:sha256:1000$3gEkfKSs$ebe42d3be00c1540670cba7b683f8cfcf8b9d71fd7355f71377c4b512d9621d1';
      assert.deepEqual(await cheap.verify(stored, 'correct horse battery'), { ok: true, needsRehash: true });
      assert.equal((await cheap.verify(stored, 'correct horse')).ok, false);
    });

    test('Werkzeug 3’s default scrypt form verifies and asks for a rehash', async () => {
      // werkzeug.security.generate_password_hash('correct horse battery') with Werkzeug 3.1.8
      const stored =
        'scrypt:32768:8:1$pPXiecAq3CyEgq6F$814114a2599809cefc83115dbbbdd68f02feba26e95e8b78aae6fcc0b76c9736cdb133ee32b965689969db6703ba3777bc4cffd4d8a053b5eb96c03b15309296';
      assert.equal(classifyImportedSecret(stored), 'werkzeug');
      assert.deepEqual(await cheap.verify(stored, 'correct horse battery'), { ok: true, needsRehash: true });
      assert.equal((await cheap.verify(stored, 'correct horse')).ok, false);
      const small = `scrypt:1024:8:1$salt$${scryptSync('pw', 'salt', 64, { N: 1024, r: 8, p: 1 }).toString('hex')}`;
      assert.equal((await cheap.verify(small, 'pw')).ok, true);
    });

    test('malformed Werkzeug strings are failed checks, not errors', async () => {
      for (const stored of [
        'pbkdf2:sha256:1000$salt$abc',
        'pbkdf2:sha256:0$salt$' + 'ab'.repeat(32),
        'pbkdf2:md4:1000$salt$' + 'ab'.repeat(32),
        'pbkdf2:sha256:1000$$' + 'ab'.repeat(32),
        'scrypt:3$salt$' + 'ab'.repeat(32),
        'scrypt:1000:8:1$salt$' + 'ab'.repeat(32),
      ]) {
        assert.deepEqual(await cheap.verify(stored, 'pw'), { ok: false, needsRehash: false }, stored);
      }
    });
  });

  test('a wrapped MD5 from an import verifies and asks for a rehash', async () => {
    const wrapped = await cheap.wrapLegacyMd5(md5Hex('old secret').toUpperCase());
    assert.ok(wrapped.startsWith('md5-argon2id$$argon2id$'), wrapped);
    assert.ok(!wrapped.includes(md5Hex('old secret')), 'no MD5 rests on disk');
    assert.deepEqual(await cheap.verify(wrapped, 'old secret'), { ok: true, needsRehash: true });
    assert.deepEqual(await cheap.verify(wrapped, 'new secret'), { ok: false, needsRehash: false });
  });

  test('raw md5$ and plain$ forms verify once and ask for a rehash', async () => {
    assert.deepEqual(await cheap.verify(`md5$${md5Hex('legacy')}`, 'legacy'), { ok: true, needsRehash: true });
    assert.deepEqual(await cheap.verify(`md5$${md5Hex('legacy').toUpperCase()}`, 'legacy'), { ok: true, needsRehash: true });
    assert.equal((await cheap.verify(`md5$${md5Hex('legacy')}`, 'Legacy')).ok, false);
    assert.deepEqual(await cheap.verify('plain$hunter2', 'hunter2'), { ok: true, needsRehash: true });
    assert.equal((await cheap.verify('plain$hunter2', 'hunter3')).ok, false);
    assert.equal((await cheap.verify('plain$hunter2', 'plain$hunter2')).ok, false);
  });

  test('an unknown stored form never verifies', async () => {
    assert.deepEqual(await cheap.verify('hunter2', 'hunter2'), { ok: false, needsRehash: false });
    assert.deepEqual(await cheap.verify('', ''), { ok: false, needsRehash: false });
  });

  test('an unknown user fails and costs about as much as a real check', async () => {
    const stored = await hasher.hash('correct horse');
    assert.deepEqual(await hasher.verify(null, 'correct horse'), { ok: false, needsRehash: false });
    const realMs = await meanMs(5, () => hasher.verify(stored, 'wrong'));
    const unknownMs = await meanMs(5, () => hasher.verify(null, 'wrong'));
    const ratio = unknownMs / realMs;
    assert.ok(ratio > 0.3 && ratio < 3, `unknown user ${unknownMs.toFixed(1)} ms vs real ${realMs.toFixed(1)} ms`);
  });

  test('hashing runs off the event loop: a 5 ms timer keeps ticking through 10 hashes', async () => {
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const started = performance.now();
    try {
      await Promise.all(Array.from({ length: 10 }, () => hasher.hash(randomBytes(8).toString('hex'))));
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    const gaps = ticks.slice(1).map((at, i) => at - ticks[i]!);
    const maxGap = Math.max(0, ...gaps, ticks.length > 0 ? ticks[0]! - started : elapsed);
    assert.ok(elapsed > 50, `10 hashes took only ${elapsed.toFixed(0)} ms: too fast to tell`);
    assert.ok(ticks.length >= (elapsed / 5) * 0.3, `${ticks.length} ticks in ${elapsed.toFixed(0)} ms`);
    assert.ok(maxGap < 150, `the event loop stalled for ${maxGap.toFixed(0)} ms`);
  });
});

describe('classifyImportedSecret', () => {
  const cases: Array<[string, ReturnType<typeof classifyImportedSecret>]> = [
    ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'argon2'],
    [werkzeugPbkdf2('pw', 'salt', 1000), 'werkzeug'],
    ['pbkdf2:sha256$salt$' + 'ab'.repeat(32), 'werkzeug'],
    ['scrypt:32768:8:1$salt$' + 'ab'.repeat(64), 'werkzeug'],
    [md5Hex('pw'), 'md5'],
    [md5Hex('pw').toUpperCase(), 'md5'],
    ['hunter2', 'plain'],
    ['pbkdf2 is my password', 'plain'],
  ];
  for (const [value, kind] of cases) {
    test(`${value.slice(0, 30)} is ${kind}`, () => assert.equal(classifyImportedSecret(value), kind));
  }
});
