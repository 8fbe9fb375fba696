import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, dialects, type TestDatabase } from '../../../test/support/stoa.js';
import { registerAccount } from '../../core/users/accounts.js';
import { storeCode } from '../../core/verification/codes.js';
import { ManualClock } from '../../lib/clock.js';
import { IHOME_SMS_PURPOSE } from './ihome-service.js';
import { clearedSessionCookie, decodeActivationCode, encodeActivationCode, readCookie, sessionCookie } from './rules.js';
import { runStep, startVerifyServer, type Scene, type Step } from './test-helpers.js';

const PW = 'invented-pass-1';
const [P1, P2, P3, P4, P5, P6] = ['13800000001', '13800000002', '13800000003', '13800000004', '13800000005', '13800000006'];
const E = (errcode: string, errmsg: string) => ({ errcode, errmsg });
const app = (s: Scene) => s.srv.server.app;
const cookie = (name: string) => (s: Scene) => ({ cookie: `session=${s.kept[name]}` });
const plant = (phone: string, code = '123456'): Step => ({
  name: `a code 123456 is live for ${phone}`,
  act: (s) => storeCode(app(s), IHOME_SMS_PURPOSE, phone, code, 300),
});
const captcha = (label: string): Step => ({
  name: `captcha ${label}: a PNG whose answer the test header carries`,
  method: 'GET',
  path: `/api/v1.0/image_codes/${label}-0000-4b10`,
  status: 200,
  then: (res, s) => {
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('x-test-captcha-answer') ?? '', /^[A-Z0-9]{4}$/);
    s.kept[label] = res.headers.get('x-test-captcha-answer')!;
  },
});
const sms = (phone: string, id: string, text: ((s: Scene) => string) | string) =>
  (s: Scene) => `/api/v1.0/sms_codes/${phone}?image_code_id=${id}-0000-4b10&image_code_text=${typeof text === 'function' ? text(s) : text}`;
const keepCookie = (name: string) => (res: { headers: Headers }, s: Scene) => {
  const set = res.headers.get('set-cookie') ?? '';
  assert.match(set, /^session=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
  s.kept[name] = readCookie(set.split(';')[0], 'session')!;
};
const reg = (fields: Record<string, unknown>) => ({ mobile: P3, sms_code: '123456', password: PW, password2: PW, ...fields });

/** Every code of front end A, in the order a user meets them. */
const SCENARIOS: Step[] = [
  { name: 'image code: id with a bad character', method: 'GET', path: '/api/v1.0/image_codes/bad_id!', status: 200, exact: E('4103', '参数错误') },
  { name: 'image code: id of 65 characters', method: 'GET', path: `/api/v1.0/image_codes/${'a'.repeat(65)}`, status: 200, exact: E('4103', '参数错误') },
  captcha('c1'),
  { name: 'sms: not a mobile number is 404', method: 'GET', path: '/api/v1.0/sms_codes/12345?image_code_id=x&image_code_text=y', status: 404, exact: E('4103', '手机号格式错误') },
  { name: 'sms: no params', method: 'GET', path: `/api/v1.0/sms_codes/${P1}`, status: 200, exact: E('4103', '参数不完整') },
  { name: 'sms: text missing', method: 'GET', path: `/api/v1.0/sms_codes/${P1}?image_code_id=c1-0000-4b10`, status: 200, exact: E('4103', '参数不完整') },
  { name: 'sms: unknown captcha', method: 'GET', path: sms(P1, 'nope', 'ABCD'), status: 200, exact: E('4002', '图片验证码已经过期') },
  { name: 'sms: wrong captcha answer', method: 'GET', path: sms(P1, 'c1', 'QQQQ'), status: 200, exact: E('4004', '图片验证码错误') },
  { name: 'sms: a captcha buys one guess only', method: 'GET', path: sms(P1, 'c1', (s) => s.kept.c1!), status: 200, exact: E('4002', '图片验证码已经过期') },
  captcha('c2'),
  { name: 'sms: answer in lower case is sent', method: 'GET', path: sms(P1, 'c2', (s) => s.kept.c2!.toLowerCase()), status: 200, exact: E('0', '发送成功') },
  captcha('c3'),
  { name: 'sms: same phone within 60 s', method: 'GET', path: sms(P1, 'c3', (s) => s.kept.c3!), status: 200, exact: E('4201', '发送过于频繁') },
  { name: 'an account holds P2', act: (s) => registerAccount(app(s), { username: 'ihome-p2', password: PW, phone: P2 }) },
  { name: 'anti-enumeration: registered number, unsolved captcha', method: 'GET', path: sms(P2, 'none', 'ABCD'), status: 200, exact: E('4002', '图片验证码已经过期') },
  { name: 'anti-enumeration: unregistered number, same answer', method: 'GET', path: sms(P4, 'none', 'ABCD'), status: 200, exact: E('4002', '图片验证码已经过期') },
  captcha('c4'),
  { name: 'anti-enumeration: registered number, wrong answer', method: 'GET', path: sms(P2, 'c4', 'QQQQ'), status: 200, exact: E('4004', '图片验证码错误') },
  captcha('c4'),
  { name: 'anti-enumeration: unregistered number, same wrong answer', method: 'GET', path: sms(P4, 'c4', 'QQQQ'), status: 200, exact: E('4004', '图片验证码错误') },
  captcha('c5'),
  { name: 'sms: registered number, solved captcha', method: 'GET', path: sms(P2, 'c5', (s) => s.kept.c5!), status: 200, exact: E('4003', '手机号已经注册过') },
  captcha('c6'),
  { name: 'clock +181 s', act: (s) => s.clock.advance(181_000) },
  { name: 'sms: captcha expired after 180 s', method: 'GET', path: sms(P4, 'c6', (s) => s.kept.c6!), status: 200, exact: E('4002', '图片验证码已经过期') },

  // POST /api/v1.0/users
  { name: 'register: empty body', method: 'POST', path: '/api/v1.0/users', body: {}, status: 200, exact: E('4103', '参数不完整') },
  { name: 'register: no body', method: 'POST', path: '/api/v1.0/users', status: 200, exact: E('4103', '参数不完整') },
  { name: 'register: password2 missing', method: 'POST', path: '/api/v1.0/users', body: reg({ password2: undefined }), status: 200, exact: E('4103', '参数不完整') },
  { name: 'register: passwords differ', method: 'POST', path: '/api/v1.0/users', body: reg({ password2: 'other' }), status: 200, exact: E('4103', '两次密码不一致') },
  { name: 'register: bad mobile', method: 'POST', path: '/api/v1.0/users', body: reg({ mobile: '12800000000' }), status: 200, exact: E('4103', '手机号格式错误') },
  { name: 'register: malformed JSON', method: 'POST', path: '/api/v1.0/users', rawBody: '{"mobile":', status: 200, exact: E('4103', '参数错误') },
  { name: 'register: huge body', method: 'POST', path: '/api/v1.0/users', body: reg({ password: 'x'.repeat(1_100_000) }), status: 413, exact: E('4103', '请求体过大') },
  { name: 'register: no code was sent', method: 'POST', path: '/api/v1.0/users', body: reg({}), status: 200, exact: E('4002', '短信验证码已过期') },
  plant(P3),
  { name: 'register: wrong code', method: 'POST', path: '/api/v1.0/users', body: reg({ sms_code: '654321' }), status: 200, exact: E('4004', '短信验证码错误') },
  {
    name: 'register: success, data and the session cookie', method: 'POST', path: '/api/v1.0/users', body: reg({}), status: 200,
    then: (res, s) => {
      keepCookie('p3')(res, s);
      assert.deepEqual(res.body, { errcode: '0', errmsg: '注册成功', data: { user_id: res.body.data.user_id, name: P3 } });
      assert.equal(typeof res.body.data.user_id, 'number');
    },
  },
  { name: 'register: the code was spent', method: 'POST', path: '/api/v1.0/users', body: reg({}), status: 200, exact: E('4002', '短信验证码已过期') },
  plant(P2),
  { name: 'register: mobile taken', method: 'POST', path: '/api/v1.0/users', body: reg({ mobile: P2 }), status: 200, exact: E('4003', '手机号已经注册过') },
  plant(P4),
  { name: 'clock +301 s', act: (s) => s.clock.advance(301_000) },
  { name: 'register: code expired after 300 s', method: 'POST', path: '/api/v1.0/users', body: reg({ mobile: P4 }), status: 200, exact: E('4002', '短信验证码已过期') },
  plant(P4),
  ...[1, 2, 3, 4, 5].map((n): Step => ({ name: `register: wrong guess ${n}`, method: 'POST', path: '/api/v1.0/users', body: reg({ mobile: P4, sms_code: '000000' }), status: 200, exact: E('4004', '短信验证码错误') })),
  { name: 'register: after 5 wrong guesses the right code is dead', method: 'POST', path: '/api/v1.0/users', body: reg({ mobile: P4 }), status: 200, exact: E('4002', '短信验证码已过期') },

  // Sessions
  { name: 'session: the sign-up cookie is logged in', method: 'GET', path: '/api/v1.0/session', headers: cookie('p3'), status: 200, then: (res) => assert.deepEqual(res.body, { errcode: '0', errmsg: 'true', data: { name: P3, user_id: res.body.data.user_id } }) },
  { name: 'session: no cookie', method: 'GET', path: '/api/v1.0/session', status: 200, exact: E('4101', 'false') },
  { name: 'session: forged cookie', method: 'GET', path: '/api/v1.0/session', headers: { cookie: `session=${'a'.repeat(32)}` }, status: 200, exact: E('4101', 'false') },
  { name: 'logout', method: 'DELETE', path: '/api/v1.0/session', headers: cookie('p3'), status: 200, exact: E('0', 'OK'), then: (res) => assert.equal(res.headers.get('set-cookie'), clearedSessionCookie(false)) },
  { name: 'session: revoked at once', method: 'GET', path: '/api/v1.0/session', headers: cookie('p3'), status: 200, exact: E('4101', 'false') },
  { name: 'logout without a session still answers 0', method: 'DELETE', path: '/api/v1.0/session', status: 200, exact: E('0', 'OK') },
  { name: 'login: missing password', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P3 }, status: 200, exact: E('4103', '参数不完整') },
  { name: 'login: bad mobile', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: 'abc', password: PW }, status: 200, exact: E('4103', '手机号格式错误') },
  { name: 'login: body is an array', method: 'POST', path: '/api/v1.0/sessions', body: [P3, PW], status: 200, exact: E('4103', '参数不完整') },
  { name: 'login: wrong password', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P3, password: 'nope' }, status: 200, exact: E('4104', '用户名或密码错误') },
  { name: 'login: unknown phone looks the same', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P6, password: PW }, status: 200, exact: E('4104', '用户名或密码错误') },
  { name: 'a pending account holds P5', act: (s) => registerAccount(app(s), { username: 'ihome-p5', password: PW, phone: P5, status: 'pending' }) },
  { name: 'login: pending account, wrong password', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P5, password: 'nope' }, status: 200, exact: E('4104', '用户名或密码错误') },
  { name: 'login: pending account says so', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P5, password: PW }, status: 200, exact: E('4104', '账号未激活，请先点击激活邮件中的链接') },
  { name: 'login: success sets the cookie', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P3, password: PW }, status: 200, exact: E('0', '登录成功'), then: keepCookie('p3b') },
  { name: 'session: logged in', method: 'GET', path: '/api/v1.0/session', headers: cookie('p3b'), status: 200, then: (res) => assert.equal(res.body.data.name, P3) },
  { name: 'clock +86401 s', act: (s) => s.clock.advance(86_401_000) },
  { name: 'session: expired after a day unused', method: 'GET', path: '/api/v1.0/session', headers: cookie('p3b'), status: 200, exact: E('4101', 'false') },
  // The try above was a day ago on the injected clock: ten more fill this minute's budget.
  ...Array.from({ length: 10 }, (_, i): Step => ({ name: `login: failure ${i + 1} for P6 this minute`, method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P6, password: 'x' }, status: 200, exact: E('4104', '用户名或密码错误') })),
  { name: 'login: 11th try within the minute', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: P6, password: PW }, status: 200, exact: E('4201', '错误次数过多，请稍后重试') },
  { name: 'the study surface still owns /api/v1.0/users/<id>', method: 'GET', path: '/api/v1.0/users/1', headers: { 'x-requested-with': 'XMLHttpRequest' }, status: 401 },
];

for (const d of await dialects()) {
  describe(`ihome on ${d.name}`, { skip: d.skip }, () => {
    let db: TestDatabase;
    const scene = { clock: new ManualClock(Date.UTC(2026, 0, 10, 8)), kept: {} } as Scene;
    before(async () => {
      db = await createTestDatabase(d.name);
      scene.srv = await startVerifyServer(db, { clock: scene.clock });
    });
    after(async () => {
      await scene.srv?.stop();
      await db?.drop();
    });
    for (const step of SCENARIOS) test(step.name, () => runStep(step, scene));
  });
}

describe('ihome rules', () => {
  test('the cookie is Secure over https', () => {
    assert.equal(sessionCookie('ab', true), 'session=ab; Path=/; HttpOnly; SameSite=Lax; Secure');
    assert.equal(readCookie('a=1; session=xyz; b=2', 'session'), 'xyz');
    assert.equal(readCookie(undefined, 'session'), null);
  });
  test('activation codes round-trip, padded or not', () => {
    const code = encodeActivationCode('0421', '小明_01');
    assert.deepEqual(decodeActivationCode(code), { digits: '0421', username: '小明_01' });
    assert.deepEqual(decodeActivationCode(Buffer.from('0421_bob').toString('base64url') + '='), { digits: '0421', username: 'bob' });
    assert.equal(decodeActivationCode(Buffer.from('421_bob').toString('base64url')), null);
    assert.equal(decodeActivationCode('***'), null);
  });
});
