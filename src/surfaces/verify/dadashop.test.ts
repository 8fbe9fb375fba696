import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import { FAKE_WEIBO, startFakeWeibo, type FakeWeibo } from '../../../test/support/fake-weibo.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../../test/support/stoa.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { storeCode } from '../../core/verification/codes.js';
import { ManualClock } from '../../lib/clock.js';
import { DADASHOP_SMS_PURPOSE } from './dadashop-service.js';
import { runStep, startVerifyServer, type Scene, type Step } from './test-helpers.js';

const PW = 'invented-pass-2';
const ACTIVATION = 'http://127.0.0.1:7000/dadashop/templates/active.html';
const [Q1, Q2, Q3, Q4] = ['13900000001', '13900000002', '13900000003', '13900000004'];
const app = (s: Scene) => s.srv.server.app;
const err = (code: number, message: string) => ({ code, error: { message } });
const werr = (code: number, error: string) => ({ code, error });
const plant = (phone: string): Step => ({ name: `code 1234 live for ${phone}`, act: (s) => storeCode(app(s), DADASHOP_SMS_PURPOSE, phone, '1234', 180) });
const R = (fields: Record<string, unknown>) => ({ uname: 'dana', password: PW, phone: Q2, email: 'Dana@Example.com', verify: '1234', carts: null, ...fields });
const advance = (s: number): Step => ({ name: `clock +${s} s`, act: (sc) => sc.clock.advance(s * 1000) });
const linkFor = (s: Scene, username: string) => {
  const mail = s.srv.outbox.find((m) => m.text.includes(`您好 ${username}`));
  assert.ok(mail, `no activation mail for ${username}`);
  return new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
};
const mailFor = (username: string): Step => ({
  name: `activation mail for ${username} queued`,
  act: (s) => eventually(() => s.srv.outbox.some((m) => m.text.includes(`您好 ${username}`)), { timeoutMs: 3000, what: `the activation mail for ${username}` }),
});

let weibo: FakeWeibo;
/** Runs the browser's part: authorization URL, Weibo's redirect, and returns the callback query. */
async function weiboCallback(s: Scene): Promise<string> {
  const auth = await http(s.srv.baseUrl, 'GET', '/v1/users/weibo/authorization');
  const response = await fetch(auth.body.oauth_url, { redirect: 'manual' });
  const location = new URL(response.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, FAKE_WEIBO.redirectUri);
  return location.search;
}
const callback = (label: string): Step => ({ name: `weibo flow ${label}`, act: async (s) => void (s.kept[label] = await weiboCallback(s)) });
const ticketFrom = (label: string, as: string): Step => ({
  name: `callback ${label}: first time is 201 with a bind ticket`, method: 'GET', path: (s) => `/v1/users/weibo/users${s.kept[label]}`, status: 200,
  then: (res, s) => {
    assert.deepEqual(Object.keys(res.body).sort(), ['code', 'uid']);
    assert.equal(res.body.code, 201);
    assert.notEqual(res.body.uid, '7320797200');
    s.kept[as] = res.body.uid;
  },
});
const B = (ticket: string, fields: Record<string, unknown> = {}) => (s: Scene) => ({ uid: s.kept[ticket], username: 'wb1', password: PW, phone: Q4, email: 'wb1@example.com', ...fields });

/** Every code of front end B, then the whole Weibo flow against the fake. */
const SCENARIOS: Step[] = [
  { name: 'sms: no body', method: 'POST', path: '/v1/users/sms/code', status: 200, exact: err(10115, 'invalid phone') },
  { name: 'sms: bad phone', method: 'POST', path: '/v1/users/sms/code', body: { phone: '23900000001' }, status: 200, exact: err(10115, 'invalid phone') },
  { name: 'sms: phone as a number', method: 'POST', path: '/v1/users/sms/code', body: { phone: 13900000001 }, status: 200, exact: err(10115, 'invalid phone') },
  { name: 'sms: malformed JSON', method: 'POST', path: '/v1/users/sms/code', rawBody: '{"phone"', status: 200, exact: err(10115, 'body is not valid JSON') },
  { name: 'sms: sent', method: 'POST', path: '/v1/users/sms/code', body: { phone: Q1 }, status: 200, exact: { code: 200, data: '發送成功' } },
  { name: 'sms: again at once', method: 'POST', path: '/v1/users/sms/code', body: { phone: Q1 }, status: 200, exact: err(10111, 'code already existed') },
  advance(61),
  { name: 'sms: after 61 s the code still lives', method: 'POST', path: '/v1/users/sms/code', body: { phone: Q1 }, status: 200, exact: err(10111, 'code already existed') },
  advance(120),
  { name: 'sms: after 181 s a new one goes', method: 'POST', path: '/v1/users/sms/code', body: { phone: Q1 }, status: 200, exact: { code: 200, data: '發送成功' } },
  advance(181),
  { name: 'sms: the daily cap (2 here) is 429', method: 'POST', path: '/v1/users/sms/code', body: { phone: Q1 }, status: 429, exact: err(10117, 'too many requests') },

  // Sign-up
  { name: 'register: empty body', method: 'POST', path: '/v1/users', body: {}, status: 200, exact: err(10115, 'missing uname') },
  { name: 'register: missing email', method: 'POST', path: '/v1/users', body: R({ email: undefined }), status: 200, exact: err(10115, 'missing email') },
  { name: 'register: missing verify', method: 'POST', path: '/v1/users', body: R({ verify: '' }), status: 200, exact: err(10115, 'missing verify') },
  { name: 'register: bad phone', method: 'POST', path: '/v1/users', body: R({ phone: '1390000000' }), status: 200, exact: err(10115, 'invalid phone') },
  { name: 'register: bad e-mail', method: 'POST', path: '/v1/users', body: R({ email: 'dana' }), status: 200, exact: err(10115, 'invalid email') },
  { name: 'register: no code sent', method: 'POST', path: '/v1/users', body: R({}), status: 200, exact: err(10112, 'code wrong') },
  plant(Q2),
  { name: 'register: wrong code', method: 'POST', path: '/v1/users', body: R({ verify: '9999' }), status: 200, exact: err(10112, 'code wrong') },
  {
    name: 'register: success with a JWT', method: 'POST', path: '/v1/users', body: R({}), status: 200,
    then: async (res, s) => {
      assert.deepEqual(res.body, { code: 200, username: 'dana', data: { token: res.body.data.token }, carts_count: 0 });
      const claims = await app(s).jwt.verify(res.body.data.token);
      assert.equal(claims?.username, 'dana');
      assert.equal(claims!.exp! - claims!.iat!, 86400);
      assert.equal((await findUserByUsername(app(s).db, 'dana'))?.status, 'pending');
    },
  },
  plant(Q3),
  { name: 'register: username taken', method: 'POST', path: '/v1/users', body: R({ phone: Q3, email: 'x@example.com' }), status: 200, exact: err(10116, 'username already exists') },
  plant(Q2),
  { name: 'register: phone taken', method: 'POST', path: '/v1/users', body: R({ uname: 'dana2', email: 'x@example.com' }), status: 200, exact: err(10116, 'phone already exists') },
  plant(Q3),
  { name: 'register: e-mail taken (any case)', method: 'POST', path: '/v1/users', body: R({ uname: 'dana3', phone: Q3, email: 'DANA@example.com' }), status: 200, exact: err(10116, 'email already exists') },
  { name: 'iHome login of the pending account says so', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: Q2, password: PW }, status: 200, exact: { errcode: '4104', errmsg: '账号未激活，请先点击激活邮件中的链接' } },

  // Activation
  mailFor('dana'),
  {
    name: 'the mail carries <ACTIVATION_BASE_URL>?code=base64url("<4 digits>_dana")',
    act: (s) => {
      const link = linkFor(s, 'dana');
      assert.equal(`${link.origin}${link.pathname}`, ACTIVATION);
      assert.match(Buffer.from(link.searchParams.get('code')!, 'base64url').toString(), /^\d{4}_dana$/);
      assert.deepEqual(s.srv.outbox.find((m) => m.text.includes('dana'))!.to, ['dana@example.com']);
    },
  },
  { name: 'activation: no code', method: 'GET', path: '/v1/users/activation', status: 200, exact: err(10118, 'activation link invalid or expired') },
  { name: 'activation: garbage', method: 'GET', path: '/v1/users/activation?code=%%%', status: 200, exact: err(10118, 'activation link invalid or expired') },
  { name: 'activation: unknown user', method: 'GET', path: `/v1/users/activation?code=${Buffer.from('1234_nobody').toString('base64url')}`, status: 200, exact: err(10118, 'activation link invalid or expired') },
  {
    name: 'activation: wrong digits', method: 'GET', status: 200, exact: err(10118, 'activation link invalid or expired'),
    path: (s) => {
      const digits = Buffer.from(linkFor(s, 'dana').searchParams.get('code')!, 'base64url').toString().slice(0, 4);
      return `/v1/users/activation?code=${Buffer.from(`${digits === '0000' ? '0001' : '0000'}_dana`).toString('base64url')}`;
    },
  },
  { name: 'activation: the link works', method: 'GET', path: (s) => `/v1/users/activation${linkFor(s, 'dana').search}`, status: 200, exact: { code: 200, data: '激活成功' } },
  { name: 'activation: a link works once', method: 'GET', path: (s) => `/v1/users/activation${linkFor(s, 'dana').search}`, status: 200, exact: err(10118, 'activation link invalid or expired') },
  { name: 'iHome login works once active', method: 'POST', path: '/api/v1.0/sessions', body: { mobile: Q2, password: PW }, status: 200, exact: { errcode: '0', errmsg: '登录成功' } },
  plant(Q3),
  { name: 'register erin', method: 'POST', path: '/v1/users', body: R({ uname: 'erin', phone: Q3, email: 'erin@example.com' }), status: 200 },
  mailFor('erin'),
  advance(3 * 86400 + 1),
  { name: 'activation: expired after 3 days', method: 'GET', path: (s) => `/v1/users/activation${linkFor(s, 'erin').search}`, status: 200, exact: err(10118, 'activation link invalid or expired') },

  // Weibo
  {
    name: 'authorization URL: configured URL with client_id, redirect_uri, response_type, state', method: 'GET', path: '/v1/users/weibo/authorization', status: 200,
    then: (res) => {
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'oauth_url']);
      const url = new URL(res.body.oauth_url);
      assert.equal(`${url.origin}${url.pathname}`, weibo.authorizeUrl);
      assert.deepEqual([...url.searchParams.keys()], ['client_id', 'redirect_uri', 'response_type', 'state']);
      assert.equal(url.searchParams.get('redirect_uri'), FAKE_WEIBO.redirectUri);
      assert.match(url.searchParams.get('state')!, /^[0-9a-f]{32}$/);
    },
  },
  { name: 'callback: no code', method: 'GET', path: '/v1/users/weibo/users', status: 200, exact: werr(10112, 'Not code') },
  { name: 'callback: no state', method: 'GET', path: '/v1/users/weibo/users?code=abc', status: 200, exact: werr(10112, 'state invalid or expired') },
  callback('f1'),
  ticketFrom('f1', 't1'),
  { name: 'callback: state is one-time', method: 'GET', path: (s) => `/v1/users/weibo/users${s.kept.f1}`, status: 200, exact: werr(10112, 'state invalid or expired') },
  callback('f2'),
  ticketFrom('f2', 't2'),
  { name: 'bind: forged ticket', method: 'POST', path: '/v1/users/weibo/users', body: B('none', { uid: '7320797200' }), status: 200, exact: werr(10119, 'bind ticket invalid or expired') },
  {
    name: 'bind: ticket with another uid in its payload', method: 'POST', path: '/v1/users/weibo/users', status: 200, exact: werr(10119, 'bind ticket invalid or expired'),
    body: (s: Scene) => {
      const [h, p, sig] = s.kept.t1!.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      return B('t1', { uid: `${h}.${Buffer.from(JSON.stringify({ ...claims, weibo_uid: '1' })).toString('base64url')}.${sig}` })(s);
    },
  },
  { name: 'bind: a login token is not a ticket', method: 'POST', path: '/v1/users/weibo/users', body: async (s: Scene) => B('t1', { uid: await app(s).jwt.sign({ username: 'dana' }, 600) })(s), status: 200, exact: werr(10119, 'bind ticket invalid or expired') },
  { name: 'bind: missing phone', method: 'POST', path: '/v1/users/weibo/users', body: B('t1', { phone: undefined }), status: 200, exact: werr(10115, 'missing phone') },
  { name: 'bind: taken username rolls back', method: 'POST', path: '/v1/users/weibo/users', body: B('t1', { username: 'dana' }), status: 200, exact: werr(10114, 'database error') },
  { name: 'bind: success', method: 'POST', path: '/v1/users/weibo/users', body: B('t1'), status: 200, then: (res) => assert.deepEqual(res.body, { code: 200, username: 'wb1', token: res.body.token }) },
  { name: 'bind: a ticket binds once', method: 'POST', path: '/v1/users/weibo/users', body: B('t1', { username: 'wb9', phone: Q1, email: 'wb9@example.com' }), status: 200, exact: werr(10119, 'bind ticket invalid or expired') },
  { name: 'bind: second ticket for the bound identity fails in one transaction', method: 'POST', path: '/v1/users/weibo/users', body: B('t2', { username: 'wb2', phone: Q1, email: 'wb2@example.com' }), status: 200, exact: werr(10114, 'database error') },
  { name: '... and left no user behind', act: async (s) => assert.equal(await findUserByUsername(app(s).db, 'wb2'), undefined) },
  mailFor('wb1'),
  callback('f3'),
  {
    name: 'second login: 200 with a working token', method: 'GET', path: (s) => `/v1/users/weibo/users${s.kept.f3}`, status: 200,
    then: async (res, s) => {
      assert.deepEqual(res.body, { code: 200, username: 'wb1', token: res.body.token });
      assert.equal((await app(s).jwt.verify(res.body.token))?.username, 'wb1');
    },
  },
  { name: 'Weibo is sent the form the spec names', act: () => assert.deepEqual(Object.keys(weibo.exchanges.at(-1)!).sort(), ['client_id', 'client_secret', 'code', 'grant_type', 'redirect_uri']) },
  { name: 'another Weibo user', act: () => weibo.loginAs('5550001111') },
  callback('f4'),
  ticketFrom('f4', 't4'),
  advance(601),
  { name: 'bind: ticket expired after 10 min', method: 'POST', path: '/v1/users/weibo/users', body: B('t4', { username: 'wb4', phone: Q1, email: 'wb4@example.com' }), status: 200, exact: werr(10119, 'bind ticket invalid or expired') },
  callback('f5'),
  { name: 'token exchange fails', act: () => weibo.failNextExchange(500) },
  { name: 'callback: Weibo busy', method: 'GET', path: (s) => `/v1/users/weibo/users${s.kept.f5}`, status: 200, exact: werr(10113, 'weibo server is busy') },
  { name: 'callback: a code Weibo does not know', method: 'GET', path: async (s: Scene) => `/v1/users/weibo/users${(await weiboCallback(s)).replace(/code=[0-9a-f]+/, 'code=bogus')}`, status: 200, exact: werr(10113, 'weibo server is busy') },
];

for (const d of await dialects()) {
  describe(`dadashop on ${d.name}`, { skip: d.skip }, () => {
    let db: TestDatabase;
    const scene = { clock: new ManualClock(Date.UTC(2026, 0, 10, 8)), kept: {} } as Scene;
    before(async () => {
      weibo = await startFakeWeibo();
      db = await createTestDatabase(d.name);
      scene.srv = await startVerifyServer(db, { clock: scene.clock, env: { ...weibo.env, ACTIVATION_BASE_URL: ACTIVATION, SMS_PER_PHONE_DAILY: '2' } });
    });
    after(async () => {
      await scene.srv?.stop();
      await db?.drop();
      await weibo?.close();
    });
    for (const step of SCENARIOS) test(step.name, () => runStep(step, scene));
  });
}
