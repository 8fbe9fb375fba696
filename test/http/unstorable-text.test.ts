import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';
import { createLogger } from '../../src/core/log.js';
import { multipart, TINY_PNG } from '../../src/surfaces/chat/test-helpers.js';
import { sampleFor } from '../../src/surfaces/monitor/metrics/test-helpers.js';

/**
 * Text PostgreSQL's UTF-8 cannot store, in a string field of every HTTP surface, before
 * and after signing in: each surface answers its own 400, never a 500, and nothing is
 * logged at error level. The same table runs on SQLite and PostgreSQL.
 */

const NUL = '\u0000';
const LONE_SURROGATE = '\uD800';
const REASON = /cannot be stored/;
const PW = 'Correct-Horse-7f3a';

interface Scene {
  srv: TestServer;
  chatToken: string;
}

/** One request carrying `bad` somewhere, and the bad-input answer of its surface (400 unless its wire says otherwise). */
interface Case {
  name: string;
  /** Only NUL reaches some places: a query string or Basic credentials cannot carry a lone surrogate. */
  nulOnly?: boolean;
  request(bad: string, s: Scene): { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  status?: number;
  fields: Record<string, unknown>;
}

const basic = (name: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` });
const signup = (name: string) => ({ s_name: name, s_email: `${name}@example.com`, s_password: PW, s_password_confirmation: PW, s_phone: '13800000000' });
const WEB_ERROR = { Error: REASON };
const STUDY_ERROR = { error: 'bad request', message: REASON };

const CASES: Case[] = [
  { name: 'POST /user/login, s_name', request: (bad) => ({ method: 'POST', path: '/user/login', body: { s_name: `ali${bad}ce`, s_password: PW } }), fields: WEB_ERROR },
  { name: 'POST /user/login, s_password', request: (bad) => ({ method: 'POST', path: '/user/login', body: { s_name: 'alice', s_password: `${PW}${bad}` } }), fields: WEB_ERROR },
  { name: 'POST /user/login, a key', request: (bad) => ({ method: 'POST', path: '/user/login', body: { s_name: 'alice', s_password: PW, [`x${bad}`]: 1 } }), fields: WEB_ERROR },
  { name: 'POST /user/signup, s_name', request: (bad) => ({ method: 'POST', path: '/user/signup', body: signup(`new${bad}user`) }), fields: WEB_ERROR },
  { name: 'POST /user/signup, s_email', request: (bad) => ({ method: 'POST', path: '/user/signup', body: { ...signup('newuser'), s_email: `n${bad}@example.com` } }), fields: WEB_ERROR },
  { name: 'POST /api/chat, signed in', request: (bad, s) => ({ method: 'POST', path: '/api/chat', headers: { authorization: s.chatToken }, body: { message: `hi ${bad}` } }), fields: { type: 'chat', status: 'error', message: REASON } },
  { name: 'POST /api/chat, not signed in', request: (bad) => ({ method: 'POST', path: '/api/chat', body: { message: `hi ${bad}` } }), fields: { type: 'chat', status: 'error', message: REASON } },
  { name: 'POST /api/register, username', request: (bad) => ({ method: 'POST', path: '/api/register', body: { username: `zed${bad}`, password: PW } }), fields: { type: 'register_-1', error: true, message: REASON } },
  { name: 'POST /api/login, username', request: (bad) => ({ method: 'POST', path: '/api/login', body: { username: `zed${bad}`, password: PW } }), fields: { type: 'login_0', status: 'error', message: REASON } },
  { name: 'POST /user/search, s_name', request: (bad) => ({ method: 'POST', path: '/user/search', body: { s_name: `streamer${bad}` } }), fields: WEB_ERROR },
  { name: 'POST /user/search, s_name in an array', request: (bad) => ({ method: 'POST', path: '/user/search', body: { s_name: [`streamer${bad}`] } }), fields: WEB_ERROR },
  { name: 'POST /nfs/resource, s_nf', request: (bad) => ({ method: 'POST', path: '/nfs/resource', body: sampleFor(`amf${bad}1`) }), fields: { error: REASON } },
  { name: 'POST /nfs/resource, dt_infotime', request: (bad) => ({ method: 'POST', path: '/nfs/resource', body: sampleFor('amf1', { dt_infotime: `2026-01-01${bad}` }) }), fields: { error: REASON } },
  { name: 'POST /nfs/resource/batch, deep in the array', request: (bad) => ({ method: 'POST', path: '/nfs/resource/batch', body: [sampleFor('amf1'), sampleFor(`amf${bad}2`)] }), fields: { error: REASON } },
  { name: 'GET /nfs/resource?s_nf=', nulOnly: true, request: () => ({ method: 'GET', path: '/nfs/resource?s_nf=amf%001' }), fields: { error: REASON } },
  { name: 'GET /user/current_people?s_name=', nulOnly: true, request: () => ({ method: 'GET', path: '/user/current_people?s_name=a%00b' }), fields: WEB_ERROR },
  { name: 'study Basic auth, user name', nulOnly: true, request: (bad) => ({ method: 'GET', path: '/api/v1.0/studys', headers: basic(`alice${bad}`, PW) }), fields: STUDY_ERROR },
  { name: 'study Basic auth, password', nulOnly: true, request: (bad) => ({ method: 'GET', path: '/api/v1.0/token', headers: basic('alice', `${PW}${bad}`) }), fields: STUDY_ERROR },
  // verify.md: iHome and dadashop answer bad input with HTTP 200 and a code of their own.
  { name: 'POST /api/v1.0/sessions (iHome), mobile', request: (bad) => ({ method: 'POST', path: '/api/v1.0/sessions', body: { mobile: `1380000000${bad}`, password: PW } }), status: 200, fields: { errcode: '4103' } },
  { name: 'POST /v1/users (dadashop), username', request: (bad) => ({ method: 'POST', path: '/v1/users', body: { uname: `zed${bad}`, password: PW, email: 'z@example.com', phone: '13800000001', verify: '123456' } }), status: 200, fields: { code: 10115 } },
  { name: 'POST /api/v1.0/register, username', request: (bad) => ({ method: 'POST', path: '/api/v1.0/register', body: { username: `zed${bad}`, password: PW, stu_id: '2017000001', stu_pwd: 'x' } }), fields: STUDY_ERROR },
  { name: 'POST /api/v1.0/studys/, start_time', request: (bad) => ({ method: 'POST', path: '/api/v1.0/studys/', headers: basic('alice', PW), body: { start_time: `2026-01-01 00:00:00${bad}` } }), fields: STUDY_ERROR },
];

const VARIANTS = [
  { label: 'NUL', bad: NUL },
  { label: 'lone surrogate', bad: LONE_SURROGATE },
];

/** Signs a chat user in (for the signed-in chat case) and makes `alice` exist for Basic auth. */
async function prepareUsers(s: Scene): Promise<void> {
  const registered = await http(s.srv.baseUrl, 'POST', '/api/register', { body: { username: 'alice', password: PW } });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  const login = await http(s.srv.baseUrl, 'POST', '/api/login', { body: { username: 'alice', password: PW } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  s.chatToken = login.body.token;
}

for (const d of await dialects()) {
  describe(`unstorable text gets each surface's 400 (${d.name})`, { skip: d.skip }, () => {
    const logLines: string[] = [];
    const scene = {} as Scene;
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(d.name);
      const log = createLogger('trace', { write: (line: string) => void logLines.push(line) });
      scene.srv = await startTestServer(db, { log });
      await prepareUsers(scene);
    });
    after(async () => {
      await scene.srv?.stop();
      await db?.drop();
    });

    for (const variant of VARIANTS) {
      for (const c of CASES.filter((c) => variant.bad === NUL || !c.nulOnly)) {
        test(`${c.name}: ${variant.label}`, async () => {
          const { method, path, body, headers } = c.request(variant.bad, scene);
          const res = await http(scene.srv.baseUrl, method, path, { body, headers });
          assert.equal(res.status, c.status ?? 400, JSON.stringify(res.body));
          for (const [key, want] of Object.entries(c.fields)) {
            if (want instanceof RegExp) assert.match(String(res.body[key]), want, key);
            else assert.equal(res.body[key], want, key);
          }
        });
      }
    }

    test('a path parameter no record can hold names nothing: 404 in the surface\'s shape', async () => {
      const study = await http(scene.srv.baseUrl, 'GET', '/api/v1.0/users/1%00', { headers: basic('alice', PW) });
      assert.deepEqual([study.status, study.body], [404, { error: 'not found' }]);
      const access = await http(scene.srv.baseUrl, 'POST', '/user/access-requests/1%00/approve');
      assert.equal(access.status, 404, JSON.stringify(access.body));
      assert.match(access.body.Error, REASON);
    });

    test('text the database can store still goes through: a surrogate pair, a chat message, an avatar with NUL bytes', async () => {
      const base = scene.srv.baseUrl;
      const chat = await http(base, 'POST', '/api/chat', { headers: { authorization: scene.chatToken }, body: { message: 'hi 😀' } });
      assert.deepEqual(chat.body, { type: 'chat', status: 'success' });
      const sample = await http(base, 'POST', '/nfs/resource', { body: sampleFor('amf-😀') });
      assert.equal(sample.status, 200, JSON.stringify(sample.body));
      assert.ok(TINY_PNG.includes(0), 'the picture holds NUL bytes');
      const file = multipart('me.png', 'image/png', TINY_PNG);
      const avatar = await http(base, 'POST', '/api/avatar', { headers: { ...file.headers, authorization: scene.chatToken }, rawBody: file.rawBody });
      assert.equal(avatar.status, 200, JSON.stringify(avatar.body));
      assert.equal(avatar.body.status, 'success');
      const studys = await http(base, 'GET', '/api/v1.0/studys', { headers: basic('alice', PW) });
      assert.equal(studys.status, 200, JSON.stringify(studys.body));
    });

    test('nothing was logged at error level', () => {
      const failures = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 50);
      assert.deepEqual(failures, []);
    });
  });
}
