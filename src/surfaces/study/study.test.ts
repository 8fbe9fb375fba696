import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer } from '../../../test/support/stoa.js';
import { ManualClock } from '../../lib/clock.js';
import { registerAccount } from '../../core/users/accounts.js';
import { formatStudyTime, parseBasicAuth, parseStudyTime, summarizeStudy } from './rules.js';
import { SESSION_SCENARIOS } from './session-scenarios.js';
import { at, badRequest, basic, NOT_FOUND, runStep, UNAUTHORIZED, withToken, type Scene, type Step } from './test-helpers.js';

const PW = 'correct horse';
const STU_PWD = 'school-secret-7f3a';
const B = (s: Scene) => `${s.srv.baseUrl}/api/v1.0`;
const alice = basic('alice', PW);
const R = (fields: Record<string, unknown>) => ({ username: 'zed', password: PW, stu_id: '2017000009', stu_pwd: STU_PWD, ...fields });
const userJson = (name: string, seen = '2026-01-10 08:00:00') => (s: Scene) => ({
  username: name,
  url: `${B(s)}/users/${s.ids[name]}`,
  studys: `${B(s)}/users/${s.ids[name]}/studys/`,
  member_since: '2026-01-10 08:00:00',
  last_seen: seen,
});
const keepUser = (name: string) => (res: { body: any; headers: Headers }, s: Scene) => {
  s.ids[name] = Number(/\/users\/(\d+)$/.exec(res.body.url)![1]);
  assert.equal(res.headers.get('location'), res.body.url);
};
const advance = (ms: number): Step => ({ name: `clock +${ms / 1000} s`, act: (s) => s.clock.advance(ms) });

/** Register, HTTP Basic auth, tokens, last_seen and users: every row of study.md that is not a session. */
const SCENARIOS: Step[] = [
  // POST /register
  { name: 'register: empty body is missing parameters', method: 'POST', path: '/api/v1.0/register', body: {}, status: 400, exact: badRequest('缺少必要参数。') },
  { name: 'register: no body at all', method: 'POST', path: '/api/v1.0/register', status: 400, exact: badRequest('缺少必要参数。') },
  { name: 'register: missing stu_pwd', method: 'POST', path: '/api/v1.0/register', body: R({ stu_pwd: undefined }), status: 400, exact: badRequest('缺少必要参数。') },
  { name: 'register: username of the wrong type', method: 'POST', path: '/api/v1.0/register', body: R({ username: 42 }), status: 400, exact: badRequest('缺少必要参数。') },
  { name: 'register: body is an array', method: 'POST', path: '/api/v1.0/register', body: [R({})], status: 400, exact: badRequest('缺少必要参数。') },
  { name: 'register: malformed JSON', method: 'POST', path: '/api/v1.0/register', rawBody: '{"username": ', headers: { 'content-type': 'application/json' }, status: 400, exact: badRequest('Body is not valid JSON') },
  { name: 'register: letters in stu_id', method: 'POST', path: '/api/v1.0/register', body: R({ stu_id: '20170000ab' }), status: 400, exact: badRequest('学号应该是一个十位数或是九位数.') },
  { name: 'register: 8-digit stu_id', method: 'POST', path: '/api/v1.0/register', body: R({ stu_id: '20170000' }), status: 400, exact: badRequest('学号应该是一个十位数或是九位数.') },
  { name: 'register: 11-digit stu_id', method: 'POST', path: '/api/v1.0/register', body: R({ stu_id: '20170000001' }), status: 400, exact: badRequest('学号应该是一个十位数或是九位数.') },
  { name: 'register alice (10 digits): 201 user JSON + Location', method: 'POST', path: '/api/v1.0/register', body: R({ username: 'alice', stu_id: '2017000001' }), status: 201, then: (res, s) => (keepUser('alice')(res, s), assert.deepEqual(res.body, userJson('alice')(s))) },
  { name: 'register: username taken', method: 'POST', path: '/api/v1.0/register', body: R({ username: 'alice', stu_id: '2017000002' }), status: 400, exact: badRequest('用户已经存在。') },
  { name: 'register: student id taken', method: 'POST', path: '/api/v1.0/register', body: R({ username: 'alice2', stu_id: '2017000001' }), status: 400, exact: badRequest('该学号被注册，可以试试找回密码。') },
  { name: 'register bob (9 digits)', method: 'POST', path: '/api/v1.0/register', body: R({ username: 'bob', stu_id: '201700002' }), status: 201, then: keepUser('bob') },
  { name: 'register: huge body is 413', method: 'POST', path: '/api/v1.0/register', body: R({ username: 'x'.repeat(1_100_000) }), status: 413, fields: { error: 'payload too large', message: /\S/ } },
  {
    name: 'seed accounts: dave with e-mail, carol pending activation',
    act: async (s) => {
      const app = s.srv.server.app;
      s.ids.dave = await registerAccount(app, { username: 'dave', password: PW, email: 'Dave@Example.com' });
      s.ids.carol = await registerAccount(app, { username: 'carol', password: PW, status: 'pending' });
    },
  },

  // HTTP Basic auth
  { name: 'no credentials: 401 + browser prompt', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, status: 401, exact: UNAUTHORIZED, then: (res) => assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Authentication Required"') },
  { name: 'XMLHttpRequest client: 401 without the prompt header', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: { 'x-requested-with': 'XMLHttpRequest' }, status: 401, exact: UNAUTHORIZED, then: (res) => assert.equal(res.headers.get('www-authenticate'), null) },
  { name: 'wrong password: 401', method: 'GET', path: '/api/v1.0/studys', headers: basic('alice', 'nope'), status: 401, exact: UNAUTHORIZED },
  { name: 'unknown user: 401', method: 'GET', path: '/api/v1.0/studys', headers: basic('nobody', PW), status: 401, exact: UNAUTHORIZED },
  { name: 'username with empty password: 401', method: 'GET', path: '/api/v1.0/studys', headers: basic('alice', ''), status: 401, exact: UNAUTHORIZED },
  { name: 'not Basic: 401', method: 'GET', path: '/api/v1.0/studys', headers: { authorization: 'Bearer abc' }, status: 401, exact: UNAUTHORIZED },
  { name: 'Basic without a colon: 401', method: 'GET', path: '/api/v1.0/studys', headers: { authorization: `Basic ${Buffer.from('alice').toString('base64')}` }, status: 401, exact: UNAUTHORIZED },
  { name: 'pending account: 403 saying why', method: 'GET', path: '/api/v1.0/studys', headers: basic('carol', PW), status: 403, exact: { error: 'forbidden', message: 'Account not activated: follow the link in the activation e-mail' } },
  { name: 'log in by e-mail', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.dave}`, headers: basic('dave@example.com', PW), status: 200, fields: { username: 'dave' } },
  { name: 'alice by password: user JSON, last_seen now', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: alice, status: 200, exact: userJson('alice') },
  advance(90_000),
  { name: 'last_seen moves after a minute', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: alice, status: 200, exact: userJson('alice', '2026-01-10 08:01:30') },
  advance(30_000),
  { name: 'last_seen is written at most once a minute', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: alice, status: 200, exact: userJson('alice', '2026-01-10 08:01:30') },
  advance(31_000),
  { name: 'last_seen moves again', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: alice, status: 200, exact: userJson('alice', '2026-01-10 08:02:31') },
  { name: 'bob sees alice (any authenticated user may)', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: basic('bob', PW), status: 200, exact: userJson('alice', '2026-01-10 08:02:31') },

  // GET /token
  { name: 'token from a password', method: 'GET', path: '/api/v1.0/token', headers: alice, status: 200, then: (res, s) => (assert.deepEqual(Object.keys(res.body).sort(), ['expiration', 'token']), assert.match(res.body.token, /^[0-9a-f]{32}$/), assert.equal(res.body.expiration, 3600), (s.tokens.alice = res.body.token)) },
  { name: 'token with an empty password authenticates', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: withToken('alice'), status: 200, fields: { username: 'alice' } },
  { name: 'token with any password authenticates', method: 'GET', path: '/api/v1.0/studys', headers: withToken('alice', 'whatever'), status: 200 },
  { name: 'a token cannot get a new token', method: 'GET', path: '/api/v1.0/token', headers: withToken('alice'), status: 401, exact: UNAUTHORIZED },
  { name: 'unknown token: 401', method: 'GET', path: '/api/v1.0/studys', headers: basic('0'.repeat(32), ''), status: 401, exact: UNAUTHORIZED },
  advance(3_601_000),
  { name: 'expired token: 401', method: 'GET', path: '/api/v1.0/studys', headers: withToken('alice'), status: 401, exact: UNAUTHORIZED },

  // GET /users/<id>
  { name: 'unknown user id: 404', method: 'GET', path: '/api/v1.0/users/999999', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'non-numeric user id: 404', method: 'GET', path: '/api/v1.0/users/abc', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'user id beyond the integer range: 404, not a database error', method: 'GET', path: '/api/v1.0/users/99999999999999', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'unknown user studys: 404', method: 'GET', path: '/api/v1.0/users/999999/studys/', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'unknown user stats: 404', method: 'GET', path: '/api/v1.0/users/999999/stats', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'stats need auth', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}/stats`, status: 401, exact: UNAUTHORIZED },

  // Proxy headers and stored secrets
  { name: 'X-Forwarded-* ignored without TRUST_PROXY', method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}`, headers: { ...alice, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }, status: 200, fields: (s) => ({ url: `${B(s)}/users/${s.ids.alice}` }) },
  {
    name: 'X-Forwarded-* honoured with TRUST_PROXY=true',
    act: async (s) => {
      const proxied = await startTestServer(s.db, { env: { TRUST_PROXY: 'true' }, clock: s.clock });
      try {
        const res = await http(proxied.baseUrl, 'GET', `/api/v1.0/users/${s.ids.alice}`, {
          headers: { ...alice, 'x-forwarded-host': 'study.example.com', 'x-forwarded-proto': 'https' },
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.url, `https://study.example.com/api/v1.0/users/${s.ids.alice}`);
        assert.equal(res.body.studys, `https://study.example.com/api/v1.0/users/${s.ids.alice}/studys/`);
      } finally {
        await proxied.stop();
      }
    },
  },
  {
    name: 'stu_pwd and passwords are never stored',
    act: async (s) => {
      const rows = await s.srv.server.app.db.selectFrom('users').selectAll().execute();
      const dump = JSON.stringify(rows);
      assert.ok(!dump.includes(STU_PWD), 'stu_pwd found in the users table');
      assert.ok(!dump.includes(PW), 'a clear password found in the users table');
      const alice = rows.find((r) => r.username === 'alice')!;
      assert.equal(alice.student_id, '2017000001');
      assert.match(alice.password_hash!, /^\$argon2id\$/);
    },
  },
];

for (const d of await dialects()) {
  describe(`study: register, auth, users (${d.name})`, { skip: d.skip }, () => {
    const scene = { ids: {}, tokens: {} } as Scene;
    before(async () => {
      scene.clock = new ManualClock(at(8));
      scene.db = await createTestDatabase(d.name);
      scene.srv = await startTestServer(scene.db, { clock: scene.clock });
    });
    after(async () => {
      await scene.srv?.stop();
      await scene.db?.drop();
    });
    for (const step of [...SCENARIOS, ...SESSION_SCENARIOS]) test(step.name, () => runStep(step, scene));
  });
}

describe('study rules', () => {
  test('wire times round-trip and impossible dates are refused', () => {
    assert.equal(parseStudyTime('2017-03-25 06:44:35'), Date.UTC(2017, 2, 25, 6, 44, 35));
    assert.equal(formatStudyTime(Date.UTC(2017, 2, 25, 6, 44, 35, 999)), '2017-03-25 06:44:35');
    for (const bad of ['2017-02-29 00:00:00', '2017-03-25 24:00:00', '2017-03-25 06:44', ' 2017-03-25 06:44:35', null, 5]) {
      assert.equal(parseStudyTime(bad), null, String(bad));
    }
  });
  test('Basic auth keeps colons in the password', () => {
    assert.deepEqual(parseBasicAuth(basic('a@b.c', 'x:y').authorization), { name: 'a@b.c', password: 'x:y' });
    assert.equal(parseBasicAuth('Basic !!!'), null);
  });
  test('stats split a session at UTC midnight and clip it to the window', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    const stats = summarizeStudy(
      [
        { start_time: Date.UTC(2026, 0, 9, 23, 30), end_time: Date.UTC(2026, 0, 10, 0, 45) },
        { start_time: Date.UTC(2025, 11, 11, 23), end_time: Date.UTC(2025, 11, 12, 1) },
        { start_time: Date.UTC(2025, 11, 1), end_time: Date.UTC(2025, 11, 1, 1) },
        { start_time: Date.UTC(2026, 0, 10, 11), end_time: null },
      ],
      now,
    );
    assert.equal(stats.sessions, 3);
    assert.deepEqual(stats.by_day[0], { date: '2025-12-12', total_s: 3600 });
    assert.deepEqual(stats.by_day[28], { date: '2026-01-09', total_s: 1800 });
    assert.deepEqual(stats.by_day[29], { date: '2026-01-10', total_s: 2700 + 3600 });
    assert.equal(stats.total_s, 3600 + 1800 + 2700 + 3600);
  });
});
