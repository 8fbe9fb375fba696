import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { ManualClock } from '../../lib/clock.js';
import { sha256Hex } from '../../lib/crypto.js';
import { loadConfig } from '../../config.js';
import type { Config } from '../config.js';
import { createMemoryState } from '../state/memory-state.js';
import { createRedisState } from '../state/redis-state.js';
import type { SharedState } from '../state/types.js';
import {
  CAPTCHA_ALPHABET,
  CAPTCHA_HEIGHT,
  CAPTCHA_WIDTH,
  checkCaptcha,
  generateCaptchaText,
  issueCaptcha,
  renderCaptcha,
} from './captcha.js';
import { codeExists, generateNumericCode, MAX_CODE_ATTEMPTS, storeCode, verifyCode } from './codes.js';
import { releaseSmsInterval, reserveSmsSend } from './send-policy.js';

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();

/** The slice of App the verification engine uses, plus a way to let TTLs run out. */
interface Harness {
  app: { state: SharedState; config: Readonly<Config>; clock: ManualClock };
  /** Lets `ms` pass for TTLs: moves the manual clock (memory) or sleeps (Redis). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const BACKENDS: Array<{ kind: SharedState['kind']; skip: string | false; open(env?: Record<string, string>): Harness }> = [
  {
    kind: 'memory',
    skip: false,
    open: (env = {}) => {
      const clock = new ManualClock(Date.now());
      const state = createMemoryState(clock);
      return {
        app: { state, config: loadConfig({ LOG_LEVEL: 'silent', ...env }), clock },
        elapse: async (ms) => clock.advance(ms),
        close: () => state.close(),
      };
    },
  },
  {
    kind: 'redis',
    skip: redisUrl ? false : 'Redis not reachable',
    open: (env = {}) => {
      const state = createRedisState({ url: redisUrl!, prefix: uniqueRedisPrefix() });
      return {
        app: { state, config: loadConfig({ LOG_LEVEL: 'silent', ...env }), clock: new ManualClock() },
        elapse: (ms) => sleep(ms),
        close: () => state.close(),
      };
    },
  },
];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('captcha rendering', () => {
  test('answers use only the unambiguous alphabet', () => {
    for (const ch of '0O1IL') assert.ok(!CAPTCHA_ALPHABET.includes(ch), `alphabet contains ${ch}`);
    for (let i = 0; i < 50; i++) assert.match(generateCaptchaText(), new RegExp(`^[${CAPTCHA_ALPHABET}]{4}$`));
  });

  test('renders a PNG of the stated size that varies between renders', () => {
    const a = renderCaptcha('ACDE');
    const b = renderCaptcha('ACDE');
    assert.deepEqual([...a.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual(pngSize(a), { width: CAPTCHA_WIDTH, height: CAPTCHA_HEIGHT });
    assert.ok(a.length > 500, 'image has content');
    assert.notDeepEqual(a, b, 'noise differs per render');
  });
});

for (const backend of BACKENDS) {
  describe(`verification engine (${backend.kind})`, { skip: backend.skip }, () => {
    describe('captcha', () => {
      test('right answer once, case-insensitively; a second check finds nothing', async () => {
        const h = backend.open();
        try {
          const { png, answer } = await issueCaptcha(h.app, 'img-1');
          assert.deepEqual(pngSize(png), { width: CAPTCHA_WIDTH, height: CAPTCHA_HEIGHT });
          assert.equal(await checkCaptcha(h.app, 'img-1', ` ${answer.toLowerCase()} `), 'ok');
          assert.equal(await checkCaptcha(h.app, 'img-1', answer), 'missing');
        } finally {
          await h.close();
        }
      });

      test('a wrong guess spends the captcha too', async () => {
        const h = backend.open();
        try {
          const { answer } = await issueCaptcha(h.app, 'img-2');
          assert.equal(await checkCaptcha(h.app, 'img-2', 'zzzz'), 'wrong');
          assert.equal(await checkCaptcha(h.app, 'img-2', answer), 'missing');
          assert.equal(await checkCaptcha(h.app, 'never-issued', answer), 'missing');
        } finally {
          await h.close();
        }
      });

      test('only a hash of the answer is stored, and a new issue replaces the old', async () => {
        const h = backend.open();
        try {
          const first = await issueCaptcha(h.app, 'img-3');
          const stored = await h.app.state.kv.get('captcha:img-3');
          assert.equal(stored, sha256Hex(first.answer.toLowerCase()));
          let second = await issueCaptcha(h.app, 'img-3');
          while (second.answer === first.answer) second = await issueCaptcha(h.app, 'img-3');
          assert.equal(await checkCaptcha(h.app, 'img-3', first.answer), 'wrong');
          const third = await issueCaptcha(h.app, 'img-3');
          assert.equal(await checkCaptcha(h.app, 'img-3', third.answer), 'ok');
        } finally {
          await h.close();
        }
      });

      test('expires after CAPTCHA_TTL_S', async () => {
        const h = backend.open({ CAPTCHA_TTL_S: '1' });
        try {
          const { answer } = await issueCaptcha(h.app, 'img-4');
          await h.elapse(1100);
          assert.equal(await checkCaptcha(h.app, 'img-4', answer), 'missing');
        } finally {
          await h.close();
        }
      });
    });

    describe('codes', () => {
      test('generates numeric codes of the requested length', () => {
        for (const digits of [4, 6]) for (let i = 0; i < 20; i++) assert.match(generateNumericCode(digits), new RegExp(`^\\d{${digits}}$`));
      });

      test('stored hashed; right code works once; purposes do not mix', async () => {
        const h = backend.open();
        try {
          await storeCode(h.app, 'sms', '13800000001', '123456', 300);
          assert.equal(await h.app.state.kv.get('code:sms:13800000001'), sha256Hex('sms|13800000001|123456'));
          assert.equal(await codeExists(h.app, 'sms', '13800000001'), true);
          assert.equal(await verifyCode(h.app, 'other', '13800000001', '123456'), 'missing');
          assert.equal(await verifyCode(h.app, 'sms', '13800000001', '654321'), 'wrong');
          assert.equal(await verifyCode(h.app, 'sms', '13800000001', '123456'), 'ok');
          assert.equal(await verifyCode(h.app, 'sms', '13800000001', '123456'), 'missing');
          assert.equal(await codeExists(h.app, 'sms', '13800000001'), false);
        } finally {
          await h.close();
        }
      });

      test(`${MAX_CODE_ATTEMPTS} wrong tries lock the code; ${MAX_CODE_ATTEMPTS - 1} do not; a new code unlocks`, async () => {
        const h = backend.open();
        try {
          await storeCode(h.app, 'sms', 'a', '1111', 300);
          for (let i = 0; i < MAX_CODE_ATTEMPTS - 1; i++) assert.equal(await verifyCode(h.app, 'sms', 'a', '0000'), 'wrong');
          assert.equal(await verifyCode(h.app, 'sms', 'a', '1111'), 'ok');

          await storeCode(h.app, 'sms', 'b', '2222', 300);
          for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) assert.equal(await verifyCode(h.app, 'sms', 'b', '0000'), 'wrong');
          assert.equal(await verifyCode(h.app, 'sms', 'b', '2222'), 'locked');
          assert.equal(await codeExists(h.app, 'sms', 'b'), false);

          await storeCode(h.app, 'sms', 'b', '3333', 300);
          assert.equal(await verifyCode(h.app, 'sms', 'b', '3333'), 'ok');
        } finally {
          await h.close();
        }
      });

      test('concurrent correct submissions: exactly one succeeds', async () => {
        const h = backend.open();
        try {
          await storeCode(h.app, 'sms', 'c', '4444', 300);
          const results = await Promise.all(Array.from({ length: 20 }, () => verifyCode(h.app, 'sms', 'c', '4444')));
          assert.equal(results.filter((r) => r === 'ok').length, 1);
        } finally {
          await h.close();
        }
      });

      test(`concurrent guessing gets at most ${MAX_CODE_ATTEMPTS} comparisons`, async () => {
        const h = backend.open();
        try {
          await storeCode(h.app, 'sms', 'd', '5555', 300);
          const guesses = Array.from({ length: 50 }, (_, i) => (i === 49 ? '5555' : String(1000 + i)));
          const results = await Promise.all(guesses.map((g) => verifyCode(h.app, 'sms', 'd', g)));
          const compared = results.filter((r) => r === 'ok' || r === 'wrong').length;
          assert.ok(compared <= MAX_CODE_ATTEMPTS, `compared ${compared} guesses`);
          assert.equal(await verifyCode(h.app, 'sms', 'd', '5555'), 'locked');
        } finally {
          await h.close();
        }
      });

      test('expires with its TTL', async () => {
        const h = backend.open();
        try {
          await storeCode(h.app, 'sms', 'e', '6666', 1);
          await h.elapse(1100);
          assert.equal(await codeExists(h.app, 'sms', 'e'), false);
          assert.equal(await verifyCode(h.app, 'sms', 'e', '6666'), 'missing');
        } finally {
          await h.close();
        }
      });
    });

    describe('send policy', () => {
      test('50 concurrent reservations for one phone: exactly one allowed', async () => {
        const h = backend.open();
        try {
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => reserveSmsSend(h.app, { phone: '13900000001', ip: `10.0.0.${i}` })),
          );
          assert.equal(results.filter((r) => r.allowed).length, 1);
          for (const r of results) {
            if (r.allowed) continue;
            assert.equal(r.reason, 'interval');
            assert.ok(r.retryAfterS >= 1 && r.retryAfterS <= 60, `retryAfterS ${r.retryAfterS}`);
          }
        } finally {
          await h.close();
        }
      });

      test('the interval ends after SMS_PER_PHONE_INTERVAL_S', async () => {
        const h = backend.open({ SMS_PER_PHONE_INTERVAL_S: '1' });
        try {
          assert.deepEqual(await reserveSmsSend(h.app, { phone: '13900000002', ip: '10.0.0.1' }), { allowed: true });
          assert.equal((await reserveSmsSend(h.app, { phone: '13900000002', ip: '10.0.0.1' })).allowed, false);
          await h.elapse(1100);
          assert.deepEqual(await reserveSmsSend(h.app, { phone: '13900000002', ip: '10.0.0.1' }), { allowed: true });
        } finally {
          await h.close();
        }
      });

      test('per-phone daily cap', async () => {
        const h = backend.open({ SMS_PER_PHONE_DAILY: '2' });
        try {
          const phone = '13900000003';
          for (let i = 0; i < 2; i++) {
            assert.deepEqual(await reserveSmsSend(h.app, { phone, ip: `10.0.1.${i}` }), { allowed: true });
            await releaseSmsInterval(h.app, phone);
          }
          const refused = await reserveSmsSend(h.app, { phone, ip: '10.0.1.9' });
          assert.equal(refused.allowed, false);
          assert.equal(!refused.allowed && refused.reason, 'phone_daily');
          assert.ok(!refused.allowed && refused.retryAfterS > 3600, 'retry after most of a day');
        } finally {
          await h.close();
        }
      });

      test('per-IP hourly cap, which does not hold the phone interval', async () => {
        const h = backend.open({ SMS_PER_IP_HOURLY: '3' });
        try {
          for (let i = 0; i < 3; i++) assert.equal((await reserveSmsSend(h.app, { phone: `1390000010${i}`, ip: '10.0.2.1' })).allowed, true);
          const refused = await reserveSmsSend(h.app, { phone: '13900000199', ip: '10.0.2.1' });
          assert.equal(!refused.allowed && refused.reason, 'ip_hourly');
          assert.deepEqual(await reserveSmsSend(h.app, { phone: '13900000199', ip: '10.0.2.2' }), { allowed: true });
        } finally {
          await h.close();
        }
      });

      test('global daily cap', async () => {
        const h = backend.open({ SMS_GLOBAL_DAILY: '2' });
        try {
          for (let i = 0; i < 2; i++) assert.equal((await reserveSmsSend(h.app, { phone: `1390000020${i}`, ip: `10.0.3.${i}` })).allowed, true);
          const refused = await reserveSmsSend(h.app, { phone: '13900000299', ip: '10.0.3.9' });
          assert.equal(!refused.allowed && refused.reason, 'global_daily');
        } finally {
          await h.close();
        }
      });
    });
  });
}
