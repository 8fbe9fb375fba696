import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { ConfigError } from './config.js';

test('defaults follow the spec', () => {
  const config = loadConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 5000);
  assert.equal(config.chat.socketPort, 8889);
  assert.equal(config.databaseUrl, null);
  assert.equal(config.redisUrl, null);
  assert.equal(config.sms.provider, 'console');
  assert.deepEqual(config.argon2, { memoryKib: 19456, timeCost: 2, parallelism: 1 });
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.chat));
});

test('every invalid variable is reported at once, by name', () => {
  let caught: unknown;
  try {
    loadConfig({ PORT: 'eighty', SOCKET_PORT: '-2', DATABASE_URL: 'mysql://x', REDIS_URL: 'not a url', SMS_PROVIDER: 'pigeon' });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError);
  const names = caught.problems.map((p) => p.split(':')[0]).sort();
  assert.deepEqual(names, ['DATABASE_URL', 'PORT', 'REDIS_URL', 'SMS_PROVIDER', 'SOCKET_PORT']);
});

test('a provider that needs credentials says which are missing', () => {
  assert.throws(() => loadConfig({ SMS_PROVIDER: 'ronglian', RONGLIAN_ACCOUNT_SID: 'a' }), (err: ConfigError) => {
    assert.ok(err.problems.some((p) => p.startsWith('RONGLIAN_AUTH_TOKEN')));
    assert.ok(!err.problems.some((p) => p.startsWith('RONGLIAN_ACCOUNT_SID')));
    return true;
  });
});

test('the command line refuses to start on bad configuration and names the variable', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, PORT: '99999', LOG_LEVEL: 'loud' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /PORT: expected a whole number from 0 to 65535, got "99999"/);
  assert.match(run.stderr, /LOG_LEVEL: expected one of/);
});

test('each surface reads its own section, and the one loader reports its problems with the engine\'s', () => {
  const config = loadConfig({ SOCKET_PORT: '-1', LIVE_WATCH_TTL_S: '45', ALERT_EMAILS: 'a@example.com, b@example.com', STUDY_TOKEN_TTL_S: '60' });
  assert.equal(config.chat.socketPort, -1);
  assert.equal(config.live.watchTtlS, 45);
  assert.deepEqual(config.monitor.alertEmails, ['a@example.com', 'b@example.com']);
  assert.equal(config.study.tokenTtlS, 60);
  assert.equal(config.accounts.google.issuer, 'https://accounts.google.com');
  assert.equal(config.verify.weibo.timeoutMs, 5000);
  assert.ok(Object.isFrozen(config.live) && Object.isFrozen(config.verify.weibo));
  assert.throws(
    () => loadConfig({ PORT: 'x', LIVE_WATCH_TTL_S: '0', STUDENT_VERIFIER: 'http', WEB_LOGIN_ATTEMPTS_PER_MINUTE: 'many' }),
    (err: ConfigError) => {
      const names = err.problems.map((p) => p.split(':')[0]).sort();
      assert.deepEqual(names, ['LIVE_WATCH_TTL_S', 'PORT', 'STUDENT_VERIFIER_URL', 'WEB_LOGIN_ATTEMPTS_PER_MINUTE']);
      return true;
    },
  );
});
