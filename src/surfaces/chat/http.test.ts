import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { http, TcpClient, WsClient } from '../../../test/support/clients.js';
import {
  runStep,
  val,
  type ActStep as ScenarioActStep,
  type HttpStep as ScenarioHttpStep,
  type Res,
  type Step as ScenarioStep,
  type Val as ScenarioVal,
} from '../../../test/support/scenario.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { DEFAULT_AVATAR_PATH } from './avatars.js';
import { insertChatMessage } from './repo.js';
import {
  closeAndSettle,
  DEFAULT_AVATAR,
  HEX32,
  loginOver,
  multipart,
  nextBroadcast,
  rawGet,
  TINY_JPEG,
  TINY_PNG,
} from './test-helpers.js';

/** What the steps share while one table runs against one server. */
interface Scene {
  srv: TestServer;
  db: TestDatabase;
  tokens: Record<string, string>;
  tcp?: TcpClient;
  ws?: WsClient;
}

type Step = ScenarioStep<Scene>;
type HttpStep = ScenarioHttpStep<Scene>;
type ActStep = ScenarioActStep<Scene>;
type Val<T> = ScenarioVal<T, Scene>;
const auth = (user: string) => (s: Scene) => ({ authorization: s.tokens[user]! });
const bearer = (user: string) => (s: Scene) => ({ authorization: `Bearer ${s.tokens[user]}` });
const keepToken = (user: string) => (res: Res, s: Scene) => void (s.tokens[user] = res.body.token);

const REGISTERED = { type: 'register_1', error: false, message: 'User registered successfully' };
const TAKEN = { type: 'register_0', success: false, message: 'Username already exists' };
const BAD_USERNAME = {
  type: 'register_-2',
  success: false,
  message:
    'Invalid username. Must be 2-20 characters, start with a letter or symbol, and contain only letters, numbers, or symbols: _!@#$%^&+-~?',
};
const BAD_AVATAR = { type: 'register_0', success: false, message: 'Invalid avatar format. Only .png or .jpg allowed' };
const REGISTER_BAD = { type: 'register_-1', error: true, message: /\S/ };
const INVALID_CREDENTIALS = { type: 'login_0', status: 'error', message: 'Invalid credentials' };
const ALREADY = { type: 'login', status: 'error_0', message: 'Account already logged in' };
const CHAT_OK = { type: 'chat', status: 'success' };
const CHAT_401 = { type: 'chat', status: 'error' };
const CHAT_400 = { type: 'chat', status: 'error', message: /\S/ };
const HISTORY_BAD_LIMIT = { type: 'history', status: 'error', message: 'limit must be a whole number from 1 to 200' };
const AVATAR_ERROR = { type: 'avatar', status: 'error', message: /\S/ };
const SECRET = 'TOP-SECRET-never-served';
const DEFAULT_PNG = readFileSync(DEFAULT_AVATAR_PATH);
const MiB = 1024 * 1024;

const register = (name: string, body: unknown, status: number, expected: object): HttpStep => ({
  name: `register: ${name}`,
  method: 'POST',
  path: '/api/register',
  body,
  status,
  ...(Object.values(expected).some((v) => v instanceof RegExp) ? { fields: expected } : { exact: expected }),
});
const chatPost = (name: string, headers: Val<Record<string, string>>, body: unknown, status: number, expected: object): HttpStep => ({
  name: `chat: ${name}`,
  method: 'POST',
  path: '/api/chat',
  headers,
  body,
  status,
  ...(Object.values(expected).some((v) => v instanceof RegExp) ? { fields: expected } : { exact: expected }),
});
const history = (query: string, status: number, exact?: object): HttpStep => ({
  name: `history: ?${query} -> ${status}`,
  method: 'GET',
  path: `/api/chat/history?${query}`,
  headers: auth('alice'),
  status,
  exact,
});
type Upload = { headers: Record<string, string>; rawBody: string | Buffer };
const upload = (name: string, file: Upload, status: number, fields: object, then?: HttpStep['then'], user = 'alice'): HttpStep => ({
  name: `avatar upload: ${name}`,
  method: 'POST',
  path: '/api/avatar',
  headers: (s) => ({ ...file.headers, authorization: s.tokens[user]! }),
  rawBody: file.rawBody,
  status,
  fields,
  then,
});
/** The uploaded picture comes back byte for byte, with its own content type. */
const servedBack = (bytes: Buffer, contentType: string) => async (res: Res, s: Scene) => {
  const got = await rawGet(s.srv.baseUrl, res.body.avatar);
  assert.equal(got.status, 200);
  assert.equal(got.contentType, contentType);
  assert.deepEqual(got.body, bytes);
};
/** A traversal attempt: 404, or the default picture; never the secret next to the avatar folder. */
const traversal = (p: Val<string>): ActStep => ({
  name: `avatar traversal refused: ${typeof p === 'string' ? p : 'absolute path'}`,
  act: async (s) => {
    const got = await rawGet(s.srv.baseUrl, val(p, s)!);
    assert.ok(!got.body.toString('latin1').includes(SECRET), 'the secret file was served');
    if (got.status !== 404) {
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, DEFAULT_PNG);
    }
  },
});
const defaultServed = (p: string): ActStep => ({
  name: `avatar default for missing file: ${p}`,
  act: async (s) => {
    const got = await rawGet(s.srv.baseUrl, p);
    assert.equal(got.status, 200);
    assert.equal(got.contentType, 'image/png');
    assert.deepEqual(got.body, DEFAULT_PNG);
  },
});

const SCENARIOS: Step[] = [
  register('alice with an avatar', { username: 'alice', password: 'alice-pw-1', avatar: 'me.png' }, 200, REGISTERED),
  register('bob without an avatar', { username: 'bob', password: 'bob-pw-1' }, 200, REGISTERED),
  register('carol, empty avatar means none', { username: 'carol', password: 'carol-pw-1', avatar: '' }, 200, REGISTERED),
  register('dave', { username: 'dave', password: 'dave-pw-1', avatar: 'd.jpg' }, 200, REGISTERED),
  register('every allowed symbol', { username: '_!@#$%^&+-~?x9', password: 'p' }, 200, REGISTERED),
  register('20 characters', { username: 'z'.repeat(20), password: 'p' }, 200, REGISTERED),
  register('duplicate username -> 403', { username: 'alice', password: 'other' }, 403, TAKEN),
  ...[['starts with a digit', '1abc'], ['too short', 'a'], ['21 characters', 'z'.repeat(21)], ['space', 'bad name'],
    ['slash', 'bad/name'], ['non-ASCII', 'ünï'], ['number', 42], ['null', null], ['missing', undefined]].map(([why, username]) =>
    register(`bad username (${why}) -> 400`, { username, password: 'p' }, 400, BAD_USERNAME)),
  ...[['gif', 'pic.gif'], ['double extension', 'pic.png.exe'], ['path', '../x.png'], ['folder', 'a/b.png'], ['number', 5]].map(
    ([why, avatar]) => register(`bad avatar (${why}) -> 400`, { username: 'erin', password: 'p', avatar }, 400, BAD_AVATAR)),
  register('missing password -> 400', { username: 'erin' }, 400, { type: 'register_-1', error: true, message: 'Missing password' }),
  register('empty password -> 400', { username: 'erin', password: '' }, 400,
    { type: 'register_-1', error: true, message: 'Password must not be empty' }),
  register('password of the wrong type -> 400', { username: 'erin', password: 12345 }, 400,
    { type: 'register_-1', error: true, message: 'Password must be a string' }),
  register('a JSON array -> 400', ['erin', 'p'], 400, REGISTER_BAD),
  { name: 'register: truncated JSON -> 400', method: 'POST', path: '/api/register', headers: { 'content-type': 'application/json' },
    rawBody: '{"username": "erin",', status: 400, fields: REGISTER_BAD },
  { name: 'register: form-encoded body -> 400', method: 'POST', path: '/api/register',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'username=erin&password=p',
    status: 400, fields: REGISTER_BAD },
  { name: 'register: no body -> 400', method: 'POST', path: '/api/register', status: 400, fields: REGISTER_BAD },

  { name: 'login: alice gets a token and her avatar URL', method: 'POST', path: '/api/login',
    body: { username: 'alice', password: 'alice-pw-1' },
    status: 200, fields: { type: 'login_1', status: 'success', token: HEX32, avatar: '/avatar/alice/me.png' },
    then: (res, s) => (assert.deepEqual(Object.keys(res.body).sort(), ['avatar', 'status', 'token', 'type']), keepToken('alice')(res, s)) },
  { name: 'login: bob gets the default avatar URL', method: 'POST', path: '/api/login', body: { username: 'bob', password: 'bob-pw-1' },
    status: 200, fields: { type: 'login_1', status: 'success', token: HEX32, avatar: DEFAULT_AVATAR }, then: keepToken('bob') },
  { name: 'login: unknown user -> 401', method: 'POST', path: '/api/login', body: { username: 'nobody', password: 'alice-pw-1' },
    status: 401, exact: INVALID_CREDENTIALS },
  { name: 'login: wrong password -> 401, same body', method: 'POST', path: '/api/login', body: { username: 'alice', password: 'wrong' },
    status: 401, exact: INVALID_CREDENTIALS },
  { name: 'login: missing password -> 400', method: 'POST', path: '/api/login', body: { username: 'alice' },
    status: 400, fields: { type: 'login_0', status: 'error', message: /\S/ } },
  { name: 'login: non-JSON -> 400', method: 'POST', path: '/api/login', rawBody: 'username=alice', status: 400,
    fields: { type: 'login_0', status: 'error', message: /\S/ } },

  chatPost('Authorization: <token> -> 200', auth('alice'), { message: 'hello' }, 200, CHAT_OK),
  chatPost('Authorization: Bearer <token> -> 200', bearer('alice'), { message: 'hello again' }, 200, CHAT_OK),
  chatPost('exactly 4096 characters -> 200', auth('alice'), { message: 'x'.repeat(4096) }, 200, CHAT_OK),
  chatPost('no Authorization -> 401', {}, { message: 'hi' }, 401, CHAT_401),
  chatPost('unknown token -> 401', { authorization: 'ab'.repeat(16) }, { message: 'hi' }, 401, CHAT_401),
  chatPost('unknown Bearer token -> 401', { authorization: `Bearer ${'cd'.repeat(16)}` }, { message: 'hi' }, 401, CHAT_401),
  chatPost('malformed token -> 401', { authorization: 'Bearer not-a-token' }, { message: 'hi' }, 401, CHAT_401),
  chatPost('missing message -> 400', auth('alice'), {}, 400, CHAT_400),
  chatPost('non-string message -> 400', auth('alice'), { message: 42 }, 400, CHAT_400),
  chatPost('empty message -> 400', auth('alice'), { message: '' }, 400, CHAT_400),
  chatPost('blank message -> 400', auth('alice'), { message: '   ' }, 400, CHAT_400),
  chatPost('4097 characters -> 400', auth('alice'), { message: 'x'.repeat(4097) }, 400, CHAT_400),
  { name: 'chat: non-JSON body -> 400', method: 'POST', path: '/api/chat', headers: auth('alice'), rawBody: 'message=hi',
    status: 400, fields: CHAT_400 },

  { name: 'broadcast: bob on TCP and carol on WS log in', act: async (s) => {
    s.tcp = await TcpClient.connect(s.srv.tcpPort);
    s.tokens.bob = await loginOver(s.tcp, 'bob', 'bob-pw-1');
    s.ws = await WsClient.connect(s.srv.wsUrl);
    s.tokens.carol = await loginOver(s.ws, 'carol', 'carol-pw-1');
  } },
  chatPost('bob posts over HTTP with his TCP token', auth('bob'), { message: 'from bob' }, 200, CHAT_OK),
  { name: 'broadcast: reaches the TCP sender and the WS client', act: async (s) => {
    const event = { type: 'chat', user: 'bob', message: 'from bob', avatar: DEFAULT_AVATAR };
    assert.deepEqual(await nextBroadcast(s.tcp!), event);
    assert.deepEqual(await nextBroadcast(s.ws!), event);
  } },
  chatPost('alice (HTTP only) posts', auth('alice'), { message: 'from alice' }, 200, CHAT_OK),
  { name: 'broadcast: carries the sender name and avatar', act: async (s) => {
    const event = { type: 'chat', user: 'alice', message: 'from alice', avatar: '/avatar/alice/me.png' };
    assert.deepEqual(await nextBroadcast(s.tcp!), event);
    assert.deepEqual(await nextBroadcast(s.ws!), event);
  } },
  { name: 'login: bob holds a live TCP connection -> 409', method: 'POST', path: '/api/login',
    body: { username: 'bob', password: 'bob-pw-1' }, status: 409, exact: ALREADY,
    then: async (_res, s) => assert.deepEqual(await s.tcp!.next((m) => m.type === 'ping'), { type: 'ping' }) },
  { name: 'login: carol holds a live WS connection -> 409', method: 'POST', path: '/api/login',
    body: { username: 'carol', password: 'carol-pw-1' }, status: 409, exact: ALREADY },
  { name: 'login: the TCP and WS connections close', act: async (s) => {
    await closeAndSettle(s.srv, s.tcp!);
    await closeAndSettle(s.srv, s.ws!);
  } },
  { name: 'login: bob proceeds once his connection is gone', method: 'POST', path: '/api/login',
    body: { username: 'bob', password: 'bob-pw-1' }, status: 200, fields: { type: 'login_1', token: HEX32 }, then: keepToken('bob') },
  { name: 'login: carol proceeds once her connection is gone', method: 'POST', path: '/api/login',
    body: { username: 'carol', password: 'carol-pw-1' }, status: 200, fields: { type: 'login_1', token: HEX32 } },

  { name: 'avatar: the default is the shipped PNG', act: async (s) => {
    const got = await rawGet(s.srv.baseUrl, DEFAULT_AVATAR);
    assert.equal(got.status, 200);
    assert.equal(got.contentType, 'image/png');
    assert.deepEqual(got.body.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    assert.deepEqual(got.body, DEFAULT_PNG);
  } },
  defaultServed('/avatar/alice/me.png'),
  defaultServed('/avatar/alice/missing.png'),
  defaultServed('/avatar/nobody/x.jpg'),
  { name: 'avatar: a secret file sits next to the avatar folder', act: async (s) => {
    for (const name of ['secret.png', 'secret.jpg']) writeFileSync(path.join(s.db.dataDir, name), `\x89PNG\r\n\x1a\n${SECRET}`);
  } },
  ...['/avatar/../secret.png', '/avatar/alice/../../secret.png', '/avatar/alice/..%2F..%2Fsecret.png', '/avatar/%2e%2e/secret.png',
    '/avatar/%2E%2E/secret.png', '/avatar/alice/%2e%2e%2f%2e%2e%2fsecret.png', '/avatar/alice/..%5C..%5Csecret.png',
    '/avatar/..%2F/secret.png', '/avatar/avatars/..%2Fsecret.png', '/avatar/default/..%2F..%2Fsecret.jpg', '/avatar/..%00/secret.png',
    '/avatar/./secret.png', '/avatar/alice/..', '/avatar/%2e%2e/%2e%2e/secret.png'].map((p) => traversal(p)),
  traversal((s) => `/avatar/alice/${encodeURIComponent(path.join(s.db.dataDir, 'secret.png'))}`),
  traversal((s) => `/avatar/${encodeURIComponent(s.db.dataDir)}/secret.png`),

  upload('PNG accepted and served back', multipart('me.png', 'image/png', TINY_PNG), 200,
    { type: 'avatar', status: 'success', avatar: /^\/avatar\/alice\/u-[0-9a-f]{16}\.png$/ }, servedBack(TINY_PNG, 'image/png')),
  upload('exactly 2 MiB accepted', multipart('big.png', 'image/png', Buffer.concat([TINY_PNG, Buffer.alloc(2 * MiB - TINY_PNG.length)])),
    200, { type: 'avatar', status: 'success' }),
  upload('JPEG accepted and served back', multipart('me.jpg', 'image/jpeg', TINY_JPEG), 200,
    { type: 'avatar', status: 'success', avatar: /^\/avatar\/alice\/u-[0-9a-f]{16}\.jpg$/ }, servedBack(TINY_JPEG, 'image/jpeg')),
  upload('text renamed .png refused by magic bytes', multipart('evil.png', 'image/png', Buffer.from('just text, not a picture')), 400,
    AVATAR_ERROR),
  upload('over 2 MiB refused', multipart('big.png', 'image/png', Buffer.concat([TINY_PNG, Buffer.alloc(2 * MiB - TINY_PNG.length + 1)])),
    413, AVATAR_ERROR),
  upload('malformed multipart -> 400', { headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, rawBody: 'garbage' }, 400,
    AVATAR_ERROR),
  upload('no boundary -> 400', { headers: { 'content-type': 'multipart/form-data' }, rawBody: 'garbage' }, 400, AVATAR_ERROR),
  upload('no file part -> 400', { headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    rawBody: '--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n' }, 400, AVATAR_ERROR),
  upload('JSON instead of multipart -> 400', { headers: { 'content-type': 'application/json' }, rawBody: '{"avatar":"x.png"}' }, 400,
    AVATAR_ERROR),
  { name: 'login: a user named with symbols', method: 'POST', path: '/api/login', body: { username: '_!@#$%^&+-~?x9', password: 'p' },
    status: 200, fields: { avatar: DEFAULT_AVATAR }, then: keepToken('sym') },
  upload('a name with URL-special characters round-trips', multipart('s.png', 'image/png', TINY_PNG), 200,
    { type: 'avatar', status: 'success', avatar: /^\/avatar\/_!%40%23%24%25%5E%26%2B-~%3Fx9\/u-[0-9a-f]{16}\.png$/ },
    servedBack(TINY_PNG, 'image/png'), 'sym'),
  { name: 'avatar upload: no token -> 401', method: 'POST', path: '/api/avatar', ...multipart('me.png', 'image/png', TINY_PNG),
    status: 401, fields: AVATAR_ERROR },

  chatPost('history-1', auth('alice'), { message: 'history-1' }, 200, CHAT_OK),
  chatPost('history-2', auth('bob'), { message: 'history-2' }, 200, CHAT_OK),
  chatPost('history-3', auth('alice'), { message: 'history-3' }, 200, CHAT_OK),
  { name: 'history: latest two, oldest first, with the current avatar', method: 'GET', path: '/api/chat/history?limit=2',
    headers: auth('bob'), status: 200, fields: { type: 'history', status: 'success' }, then: (res) => {
      assert.deepEqual(res.body.messages.map((m: any) => [m.user, m.message]), [['bob', 'history-2'], ['alice', 'history-3']]);
      assert.ok(res.body.messages[0].id < res.body.messages[1].id);
      assert.match(res.body.messages[1].avatar, /^\/avatar\/alice\/u-[0-9a-f]{16}\.jpg$/);
      assert.equal(res.body.messages[0].avatar, DEFAULT_AVATAR);
      assert.equal(new Date(res.body.messages[0].at).toISOString(), res.body.messages[0].at);
    } },
  ...['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit='].map((q) => history(q, 400, HISTORY_BAD_LIMIT)),
  { name: 'history: no token -> 401', method: 'GET', path: '/api/chat/history', status: 401, fields: { type: 'history', status: 'error' } },
  { name: 'history: 60 more messages stored', act: async (s) => {
    const bob = (await findUserByUsername(s.srv.server.app.db, 'bob'))!;
    for (let i = 1; i <= 60; i++) await insertChatMessage(s.srv.server.app.db, bob.id, `bulk-${i}`, Date.now());
  } },
  { name: 'history: default limit is 50, newest last', method: 'GET', path: '/api/chat/history', headers: auth('alice'), status: 200,
    then: (res) => {
      assert.equal(res.body.messages.length, 50);
      assert.deepEqual([res.body.messages[0].message, res.body.messages[49].message], ['bulk-11', 'bulk-60']);
    } },
  { name: 'history: limit=200 returns everything persisted', method: 'GET', path: '/api/chat/history?limit=200', headers: auth('alice'),
    status: 200, then: (res) => {
      assert.deepEqual(res.body.messages.slice(0, 3).map((m: any) => m.message), ['hello', 'hello again', 'x'.repeat(4096)]);
      assert.equal(res.body.messages.length, 68);
    } },

  { name: 'unknown path -> JSON 404', method: 'GET', path: '/api/nope', status: 404,
    exact: { error: 'not_found', message: 'No route for GET /api/nope' } },
  { name: 'unknown method -> JSON 404', method: 'DELETE', path: '/api/chat', status: 404,
    exact: { error: 'not_found', message: 'No route for DELETE /api/chat' } },
  { name: 'GET on a POST route -> JSON 404', method: 'GET', path: '/api/register', status: 404,
    exact: { error: 'not_found', message: 'No route for GET /api/register' } },
  { name: 'chat: body over 1 MiB -> 413 in the chat shape', method: 'POST', path: '/api/chat', headers: auth('alice'),
    body: { message: 'x'.repeat(MiB) }, status: 413, fields: CHAT_400 },
  { name: 'register: body over 1 MiB -> 413 in the register shape', method: 'POST', path: '/api/register',
    body: { username: 'erin', password: 'x'.repeat(MiB) }, status: 413, fields: REGISTER_BAD },

  ...[1, 2, 3].map((n): HttpStep => ({ name: `rate limit: wrong password ${n} of 3 -> 401`, method: 'POST', path: '/api/login',
    body: { username: 'dave', password: 'wrong' }, status: 401, exact: INVALID_CREDENTIALS })),
  { name: 'rate limit: the 4th attempt -> 429, even with the right password', method: 'POST', path: '/api/login',
    body: { username: 'dave', password: 'dave-pw-1' }, status: 429, fields: { type: 'login_0', status: 'error', message: /Too many/ },
    then: (res) => assert.match(res.headers.get('retry-after') ?? '', /^\d+$/) },
  { name: 'rate limit: other users are not affected', method: 'POST', path: '/api/login',
    body: { username: 'carol', password: 'carol-pw-1' },
    status: 200, fields: { type: 'login_1' } },

  { name: 'logout: no token -> 401 in the logout shape', method: 'POST', path: '/api/logout', status: 401,
    exact: { type: 'logout', status: 'error', message: 'Invalid or missing token' } },
  register('gina, who will talk too much', { username: 'gina', password: 'gina-pw-1' }, 200, REGISTERED),
  { name: 'login: gina', method: 'POST', path: '/api/login', body: { username: 'gina', password: 'gina-pw-1' },
    status: 200, fields: { type: 'login_1' }, then: keepToken('gina') },
  { name: 'chat: gina uses up her messages for the minute', act: async (s) => {
    for (let n = 0; n < s.srv.server.app.config.chat.messagesPerMinute; n++) {
      const res = await http(s.srv.baseUrl, 'POST', '/api/chat', { headers: auth('gina')(s), body: { message: `chatter ${n}` } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  } },
  { name: 'chat: past the message limit -> 429 in the chat shape with Retry-After (the error funnel, once a 500)', method: 'POST',
    path: '/api/chat', headers: auth('gina'), body: { message: 'one too many' }, status: 429,
    exact: { type: 'chat', status: 'error', message: 'Too many messages, slow down' },
    then: (res) => assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/) },

  { name: 'storage failure: the users table disappears', act: async (s) => {
    await sql`alter table users rename to users_gone`.execute(s.srv.server.app.db);
  } },
  register('storage failure -> 500 with a safe message', { username: 'frank', password: 'p' }, 500,
    { type: 'register_-1', error: true, message: 'Internal error' }),
  { name: 'storage failure: the table comes back', act: async (s) => {
    await sql`alter table users_gone rename to users`.execute(s.srv.server.app.db);
  } },
];


for (const d of await dialects()) {
  describe(`chat HTTP scenarios (${d.name})`, { skip: d.skip }, () => {
    const scene = {} as Scene;

    before(async () => {
      scene.db = await createTestDatabase(d.name);
      scene.srv = await startTestServer(scene.db, { env: { CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
      scene.tokens = {};
    });
    after(async () => {
      scene.tcp?.close();
      scene.ws?.close();
      await scene.srv?.stop();
      await scene.db?.drop();
    });

    for (const step of SCENARIOS) test(step.name, () => runStep(step, scene));
  });
}
