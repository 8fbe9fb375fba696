import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { http } from '../../../test/support/clients.js';
import { FAKE_RONGLIAN, startFakeRonglian, type FakeRonglian } from '../../../test/support/fake-ronglian.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stoa.js';
import { startVerifyServer, type VerifyServer } from './test-helpers.js';

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();

const PW = 'invented-pass-3';
const ronglianEnv = (fake: FakeRonglian) => ({
  SMS_PROVIDER: 'ronglian',
  RONGLIAN_BASE_URL: fake.baseUrl,
  RONGLIAN_ACCOUNT_SID: FAKE_RONGLIAN.accountSid,
  RONGLIAN_AUTH_TOKEN: FAKE_RONGLIAN.authToken,
  RONGLIAN_APP_ID: FAKE_RONGLIAN.appId,
  RONGLIAN_TEMPLATE_ID: FAKE_RONGLIAN.templateId,
  SMS_RETRY_BASE_MS: '20',
});

/** Fetches a captcha and reads its answer from the test-only header. */
async function solveCaptcha(baseUrl: string, id: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1.0/image_codes/${id}`);
  await res.arrayBuffer();
  return res.headers.get('x-test-captcha-answer')!;
}

describe('captcha answers never leave a production server', () => {
  let db: TestDatabase;
  let srv: VerifyServer;
  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startVerifyServer(db, { env: { NODE_ENV: 'production' } });
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
  });
  test('NODE_ENV=production: a PNG without X-Test-Captcha-Answer', async () => {
    const res = await fetch(`${srv.baseUrl}/api/v1.0/image_codes/prod-1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-test-captcha-answer'), null);
    const png = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });
  test('Weibo not configured: the authorization route says so', async () => {
    const res = await http(srv.baseUrl, 'GET', '/v1/users/weibo/authorization');
    assert.deepEqual(res.body, { code: 10113, error: 'weibo login is not configured' });
  });
});

describe('codes reach the provider (fake Ronglian) within 2 s and sign people up', () => {
  let db: TestDatabase;
  let srv: VerifyServer;
  let fake: FakeRonglian;
  before(async () => {
    fake = await startFakeRonglian();
    db = await createTestDatabase('sqlite');
    srv = await startVerifyServer(db, { env: ronglianEnv(fake) });
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
    await fake?.close();
  });

  test('iHome: captcha, 6-digit code for 5 minutes, sign-up with it', async () => {
    const answer = await solveCaptcha(srv.baseUrl, 'e2e-1');
    const started = Date.now();
    const res = await http(srv.baseUrl, 'GET', `/api/v1.0/sms_codes/13700000001?image_code_id=e2e-1&image_code_text=${answer}`);
    assert.deepEqual(res.body, { errcode: '0', errmsg: '发送成功' });
    const [text] = await fake.waitForDelivered(1, 2000);
    assert.ok(text!.at - started < 2000);
    assert.equal(text!.phone, '13700000001');
    assert.match(text!.datas[0]!, /^\d{6}$/);
    assert.equal(text!.datas[1], '5');
    const reg = await http(srv.baseUrl, 'POST', '/api/v1.0/users', {
      body: { mobile: '13700000001', sms_code: text!.datas[0], password: PW, password2: PW },
    });
    assert.equal(reg.body.errcode, '0');
    const cookie = reg.headers.get('set-cookie')!.split(';')[0]!;
    const session = await http(srv.baseUrl, 'GET', '/api/v1.0/session', { headers: { cookie } });
    assert.equal(session.body.data.name, '13700000001');
  });

  test('dadashop: 4-digit code for 3 minutes, sign-up with it', async () => {
    const started = Date.now();
    const res = await http(srv.baseUrl, 'POST', '/v1/users/sms/code', { body: { phone: '13700000002' } });
    assert.deepEqual(res.body, { code: 200, data: '發送成功' });
    const delivered = await fake.waitForDelivered(2, 2000);
    const text = delivered[1]!;
    assert.ok(text.at - started < 2000);
    assert.match(text.datas[0]!, /^\d{4}$/);
    assert.equal(text.datas[1], '3');
    const reg = await http(srv.baseUrl, 'POST', '/v1/users', {
      body: { uname: 'e2e-user', password: PW, phone: '13700000002', email: 'e2e@example.com', verify: text.datas[0] },
    });
    assert.equal(reg.body.code, 200);
    assert.equal(reg.body.username, 'e2e-user');
  });
});

describe('50 concurrent requests for one phone, shared state in Redis', { skip: redisUrl ? false : 'Redis not reachable' }, () => {
  let db: TestDatabase;
  let srv: VerifyServer;
  let fake: FakeRonglian;
  before(async () => {
    fake = await startFakeRonglian();
    db = await createTestDatabase('sqlite');
    // 50 pictures from one address in a burst: lift the per-address picture limit for this one.
    srv = await startVerifyServer(db, {
      env: { ...ronglianEnv(fake), REDIS_URL: redisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), CAPTCHA_PER_IP_PER_MINUTE: '1000' },
    });
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
    await fake?.close();
  });

  test('dadashop: exactly one send goes out, the rest hear "code already existed"', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => http(srv.baseUrl, 'POST', '/v1/users/sms/code', { body: { phone: '13600000001' } })),
    );
    assert.equal(answers.filter((a) => a.body.code === 200).length, 1);
    assert.equal(answers.filter((a) => a.body.code === 10111 && a.status === 200).length, 49);
    await fake.waitForDelivered(1, 2000);
    await sleep(300);
    assert.equal(fake.delivered.filter((d) => d.phone === '13600000001').length, 1);
  });

  test('iHome: 50 solved captchas, exactly one send, the rest "too frequent"', async () => {
    const solved = await Promise.all(Array.from({ length: 50 }, (_, i) => solveCaptcha(srv.baseUrl, `burst-${i}`)));
    const answers = await Promise.all(
      solved.map((answer, i) =>
        http(srv.baseUrl, 'GET', `/api/v1.0/sms_codes/13600000002?image_code_id=burst-${i}&image_code_text=${answer}`),
      ),
    );
    assert.equal(answers.filter((a) => a.body.errcode === '0').length, 1);
    assert.equal(answers.filter((a) => a.body.errcode === '4201').length, 49);
    await sleep(300);
    assert.equal(fake.delivered.filter((d) => d.phone === '13600000002').length, 1);
  });
});
