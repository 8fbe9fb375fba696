import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, TcpClient } from '../../../test/support/clients.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { ManualClock } from '../../lib/clock.js';
import { LOGIN_WINDOW_MS } from './login-limits.js';

/**
 * Password-guessing limits count the account, whichever name or surface is used, and the
 * client address over all surfaces; an unknown name is limited and answered like a known one.
 * Every try goes through the real transports (HTTP, chat TCP); addresses come from
 * X-Forwarded-For with TRUST_PROXY.
 */

const PER_ACCOUNT = 3;
const PER_ADDRESS = 6;
const ENV = {
  TRUST_PROXY: 'true',
  WEB_LOGIN_ATTEMPTS_PER_MINUTE: String(PER_ACCOUNT),
  CHAT_LOGIN_ATTEMPTS_PER_MINUTE: String(PER_ACCOUNT),
  STUDY_LOGIN_ATTEMPTS_PER_MINUTE: String(PER_ACCOUNT),
  IHOME_LOGIN_ATTEMPTS_PER_MINUTE: String(PER_ACCOUNT),
  LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS),
};

interface Person {
  name: string;
  email: string;
  phone: string;
  password: string;
}

const person = (name: string, phone: string): Person => ({ name, email: `${name}@example.com`, phone, password: `pw-${name}-123` });
const from = (ip: string) => ({ 'x-forwarded-for': ip });

const INVALID_WEB = { Error: 'Invalid credentials' };
const LIMITED_WEB = { Error: 'Too many attempts, try again later' };

function webLogin(srv: TestServer, name: string, password: string, ip: string) {
  return http(srv.baseUrl, 'POST', '/user/login', { body: { s_name: name, s_password: password }, headers: from(ip) });
}

function ihomeLogin(srv: TestServer, mobile: string, password: string, ip: string) {
  return http(srv.baseUrl, 'POST', '/api/v1.0/sessions', { body: { mobile, password }, headers: from(ip) });
}

function studyLogin(srv: TestServer, name: string, password: string, ip: string) {
  const authorization = `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
  return http(srv.baseUrl, 'GET', '/api/v1.0/token', { headers: { authorization, 'x-requested-with': 'XMLHttpRequest', ...from(ip) } });
}

function chatLogin(srv: TestServer, username: string, password: string, ip: string) {
  return http(srv.baseUrl, 'POST', '/api/login', { body: { username, password }, headers: from(ip) });
}

async function chatTcpLogin(srv: TestServer, username: string, password: string) {
  const client = await TcpClient.connect(srv.tcpPort);
  try {
    return await client.request({ type: 'login', username, password });
  } finally {
    client.close();
  }
}

async function signUp(srv: TestServer, who: Person): Promise<void> {
  const body = { s_name: who.name, s_email: who.email, s_password: who.password, s_password_confirmation: who.password, s_phone: who.phone };
  const res = await http(srv.baseUrl, 'POST', '/user/signup', { body, headers: from('10.9.9.9') });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function spendAccountBudget(srv: TestServer, who: Person, ips: string[]): Promise<void> {
  for (let i = 0; i < PER_ACCOUNT; i++) {
    const res = await webLogin(srv, who.name, `wrong-${i}`, ips[i % ips.length]!);
    assert.deepEqual([res.status, res.body], [400, INVALID_WEB]);
  }
}

interface Variant {
  label: string;
  dialect: 'sqlite' | 'postgres';
  skip: string | false;
  redis: boolean;
}

async function variants(): Promise<Variant[]> {
  const redisUrl = await testRedisUrl();
  const list: Variant[] = (await dialects()).map((d) => ({ label: `${d.name}, memory state`, dialect: d.name, skip: d.skip, redis: false }));
  list.push({ label: 'sqlite, Redis state', dialect: 'sqlite', skip: redisUrl ? false : 'Redis not reachable', redis: true });
  return list;
}

for (const v of await variants()) {
  describe(`login limits per account and address (${v.label})`, { skip: v.skip }, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let db: TestDatabase;
    let srv: TestServer;

    before(async () => {
      db = await createTestDatabase(v.dialect);
      const redis: Record<string, string> = v.redis ? { REDIS_URL: (await testRedisUrl())!, REDIS_PREFIX: uniqueRedisPrefix() } : {};
      srv = await startTestServer(db, { env: { ...ENV, ...redis }, clock });
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('wrong tries by username lock the account by e-mail, phone and on every other surface until the window passes', async () => {
      const mallory = person('mallory', '13800138001');
      await signUp(srv, mallory);
      await spendAccountBudget(srv, mallory, ['10.0.1.1']);

      const byEmail = await webLogin(srv, mallory.email, mallory.password, '10.0.1.2');
      assert.deepEqual([byEmail.status, byEmail.body], [429, LIMITED_WEB]);
      assert.match(byEmail.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal((await webLogin(srv, mallory.phone, mallory.password, '10.0.1.3')).status, 429);
      assert.deepEqual((await ihomeLogin(srv, mallory.phone, mallory.password, '10.0.1.4')).body, { errcode: '4201', errmsg: '错误次数过多，请稍后重试' });
      assert.equal((await studyLogin(srv, mallory.email, mallory.password, '10.0.1.5')).status, 429);
      const chat = await chatLogin(srv, mallory.name, mallory.password, '10.0.1.6');
      assert.equal(chat.status, 429);
      assert.match(chat.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal((await chatTcpLogin(srv, mallory.name, mallory.password)).status, 'error_429');

      clock.advance(LOGIN_WINDOW_MS);
      const later = await webLogin(srv, mallory.email, mallory.password, '10.0.1.2');
      assert.equal(later.status, 200, JSON.stringify(later.body));
      const ihome = await ihomeLogin(srv, mallory.phone, mallory.password, '10.0.1.4');
      assert.equal(ihome.body.errcode, '0');
    });

    test('wrong tries on another surface and from several addresses count against the same account', async () => {
      const trent = person('trent', '13800138002');
      await signUp(srv, trent);
      assert.equal((await chatTcpLogin(srv, trent.name, 'wrong-tcp')).status, 'error_0');
      assert.equal((await ihomeLogin(srv, trent.phone, 'wrong-ihome', '10.0.2.1')).body.errcode, '4104');
      assert.equal((await studyLogin(srv, trent.email, 'wrong-study', '10.0.2.2')).status, 401);
      const refused = await webLogin(srv, trent.name, trent.password, '10.0.2.3');
      assert.deepEqual([refused.status, refused.body], [429, LIMITED_WEB]);

      clock.advance(LOGIN_WINDOW_MS);
      await spendAccountBudget(srv, trent, ['10.0.3.1', '10.0.3.2', '10.0.3.3']);
      assert.equal((await webLogin(srv, trent.email, trent.password, '10.0.3.4')).status, 429);
      assert.equal((await chatLogin(srv, trent.name, trent.password, '10.0.3.5')).status, 429);
    });

    test('a right password gives the account budget back; successes never use up the address', async () => {
      clock.advance(LOGIN_WINDOW_MS);
      const peggy = person('peggy', '13800138003');
      await signUp(srv, peggy);
      for (let round = 0; round < PER_ADDRESS + 2; round++) {
        assert.equal((await webLogin(srv, peggy.name, 'wrong', `10.0.4.${10 + round}`)).status, 400);
        const ok = await webLogin(srv, round % 2 ? peggy.email : peggy.phone, peggy.password, '10.0.4.2');
        assert.equal(ok.status, 200, `round ${round}: ${JSON.stringify(ok.body)}`);
      }
    });

    test('unknown names are limited per address and per name, answered exactly like a wrong password', async () => {
      clock.advance(LOGIN_WINDOW_MS);
      const victor = person('victor', '13800138004');
      await signUp(srv, victor);
      const known = await webLogin(srv, victor.name, 'wrong', '10.0.5.9');
      const unknown = await webLogin(srv, 'nobody-0', 'wrong', '10.0.5.1');
      assert.deepEqual([unknown.status, unknown.body], [known.status, known.body]);
      for (let i = 1; i < PER_ADDRESS; i++) {
        const res = await webLogin(srv, `nobody-${i}`, 'wrong', '10.0.5.1');
        assert.deepEqual([res.status, res.body], [400, INVALID_WEB]);
      }
      const overAddress = await webLogin(srv, 'nobody-new', 'wrong', '10.0.5.1');
      assert.deepEqual([overAddress.status, overAddress.body], [429, LIMITED_WEB]);
      assert.equal((await webLogin(srv, victor.name, victor.password, '10.0.5.1')).status, 429, 'the address budget covers known accounts too');
      assert.equal((await webLogin(srv, victor.name, victor.password, '10.0.5.2')).status, 200, 'another address keeps its own budget');

      // An unknown name runs out after as many tries as a known account, from any address.
      for (let i = 0; i < PER_ACCOUNT; i++) assert.equal((await webLogin(srv, 'ghost', 'wrong', `10.0.6.${i}`)).status, 400);
      const ghost = await webLogin(srv, 'ghost', 'wrong', '10.0.6.9');
      for (let i = 0; i < PER_ACCOUNT; i++) assert.equal((await webLogin(srv, victor.name, 'wrong', `10.0.7.${i}`)).status, 400);
      const lockedKnown = await webLogin(srv, victor.name, 'wrong', '10.0.7.9');
      assert.deepEqual([ghost.status, ghost.body], [lockedKnown.status, lockedKnown.body]);
      assert.equal(ghost.status, 429);
    });
  });
}
