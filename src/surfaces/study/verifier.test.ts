import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { isAppError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { HttpStudentVerifier } from './verifier.js';

/** Student ids the fake school system answers in each of its ways. */
const ACCEPT = '2017000001';
const WRONG = '2017000002'; // 200 with a "wrong password" page
const DENY = '2017000003'; // 401
const HANG = '2017000004'; // never answers
const BROKEN = '2017000005'; // 500
const NO_SUCH_ID = '2017000006'; // 302 back to the login form, as old school sites do
const STU_PWD = 'Sch00l-Pa55-9d2e';

/** A real HTTP server speaking the school login form: `stu_id` + `stu_pwd`, form-encoded. */
async function startFakeSchool(): Promise<{ url: string; received: Array<Record<string, string>>; close(): Promise<void> }> {
  const received: Array<Record<string, string>> = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<form>请登录</form>');
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return void res.writeHead(415).end();
      const form = Object.fromEntries(new URLSearchParams(raw));
      received.push(form);
      const reply = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
      if (form.stu_pwd !== STU_PWD) return reply(200, '<p>密码错误</p>');
      switch (form.stu_id) {
        case ACCEPT:
          return reply(200, '<p>登录成功, 欢迎</p>');
        case WRONG:
          return reply(200, '<p>密码错误</p>');
        case DENY:
          return reply(401, 'denied');
        case HANG:
          return void hanging.add(res);
        case BROKEN:
          return reply(500, 'Internal Server Error');
        default:
          return void res.writeHead(302, { location: '/login' }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/login`,
    received,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function unavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err) => isAppError(err) && err.code === 'unavailable' && err.message === 'student system unreachable');
}

describe('HttpStudentVerifier against a fake school system', () => {
  let school: Awaited<ReturnType<typeof startFakeSchool>>;
  let verifier: HttpStudentVerifier;
  before(async () => {
    school = await startFakeSchool();
    // Generous for answers that do come (a loaded CI machine); the hang test uses its own short one.
    verifier = new HttpStudentVerifier({ url: school.url, okPattern: '登录成功', timeoutMs: 5000 });
  });
  after(() => school.close());

  test('accepts a 2xx answer matching STUDENT_VERIFIER_OK, posting the form fields', async () => {
    assert.equal(await verifier.verify(ACCEPT, STU_PWD), 'accepted');
    assert.deepEqual(school.received.at(-1), { stu_id: ACCEPT, stu_pwd: STU_PWD });
  });
  test('refuses a 2xx answer that does not match', async () => assert.equal(await verifier.verify(WRONG, STU_PWD), 'refused'));
  test('refuses a wrong password', async () => assert.equal(await verifier.verify(ACCEPT, 'nope'), 'refused'));
  test('refuses a 4xx answer', async () => assert.equal(await verifier.verify(DENY, STU_PWD), 'refused'));
  test('refuses a redirect back to the login page', async () => assert.equal(await verifier.verify(NO_SUCH_ID, STU_PWD), 'refused'));
  test('without a pattern any 2xx is accepted', async () => {
    const lenient = new HttpStudentVerifier({ url: school.url, timeoutMs: 5000 });
    assert.equal(await lenient.verify(WRONG, STU_PWD), 'accepted');
  });
  test('a hanging school system is unavailable after the timeout, not a refusal', async () => {
    const started = Date.now();
    await unavailable(new HttpStudentVerifier({ url: school.url, okPattern: '登录成功', timeoutMs: 300 }).verify(HANG, STU_PWD));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
  });
  test('a 5xx is unavailable', () => unavailable(verifier.verify(BROKEN, STU_PWD)));
  test('a closed port is unavailable', async () => {
    const closed = new HttpStudentVerifier({ url: 'http://127.0.0.1:1/login', timeoutMs: 300 });
    await unavailable(closed.verify(ACCEPT, STU_PWD));
  });
  test('the error carries no password', async () => {
    const err = await verifier.verify(BROKEN, STU_PWD).catch((e: unknown) => e);
    assert.ok(!JSON.stringify(err, Object.getOwnPropertyNames(err)).includes(STU_PWD));
    assert.ok(!String((err as { details: { cause: unknown } }).details.cause).includes(STU_PWD));
  });
});

for (const d of await dialects()) {
  describe(`POST /register with STUDENT_VERIFIER=http (${d.name})`, { skip: d.skip }, () => {
    let school: Awaited<ReturnType<typeof startFakeSchool>>;
    let db: TestDatabase;
    let srv: TestServer['server'];
    const logLines: string[] = [];
    const register = (username: string, stuId: string, stuPwd = STU_PWD) =>
      http(srv.httpUrl, 'POST', '/api/v1.0/register', { body: { username, password: 'pw-123456', stu_id: stuId, stu_pwd: stuPwd } });

    before(async () => {
      school = await startFakeSchool();
      db = await createTestDatabase(d.name);
      // Everything the server logs, at the most verbose level, goes to memory.
      const log = createLogger('trace', { write: (line: string) => void logLines.push(line) });
      const env = { SOCKET_PORT: '-1', STUDENT_VERIFIER: 'http', STUDENT_VERIFIER_URL: school.url, STUDENT_VERIFIER_OK: '登录成功' };
      srv = (await startTestServer(db, { env, log })).server;
    });
    after(async () => {
      await srv?.close();
      await db?.drop();
      await school?.close();
    });

    test('accepted by the school: 201', async () => {
      const res = await register('alice', ACCEPT);
      assert.equal(res.status, 201);
      assert.equal(res.body.username, 'alice');
    });
    test('refused by the school: 400 "402, 账号或密码错误"', async () => {
      const res = await register('bob', WRONG);
      assert.deepEqual([res.status, res.body], [400, { error: 'bad request', message: '402, 账号或密码错误' }]);
      const wrongPassword = await register('bob', DENY, 'not-it');
      assert.deepEqual([wrongPassword.status, wrongPassword.body.message], [400, '402, 账号或密码错误']);
    });
    test('school system failing: 503, never a false "wrong password"', async () => {
      const res = await register('carol', BROKEN);
      assert.deepEqual([res.status, res.body], [503, { error: 'service unavailable', message: 'student system unreachable' }]);
    });
    test('a taken student id is refused before the school is asked', async () => {
      const asked = school.received.length;
      const res = await register('alice2', ACCEPT);
      assert.deepEqual([res.status, res.body.message], [400, '该学号被注册，可以试试找回密码。']);
      assert.equal(school.received.length, asked);
    });
    test('stu_pwd reached the school but neither the database nor the logs', async () => {
      assert.ok(school.received.some((f) => f.stu_pwd === STU_PWD), 'the fake never saw the password');
      assert.ok(logLines.some((l) => l.includes('student system unreachable')), 'the log capture saw nothing');
      const users = await srv.app.db.selectFrom('users').selectAll().execute();
      assert.equal(users.length, 1);
      assert.ok(!JSON.stringify(users).includes(STU_PWD), 'stu_pwd stored in users');
      const tokens = await srv.app.db.selectFrom('tokens').selectAll().execute();
      assert.ok(!JSON.stringify(tokens).includes(STU_PWD), 'stu_pwd stored in tokens');
      const log = logLines.join('');
      assert.ok(!log.includes(STU_PWD), 'stu_pwd logged');
      assert.ok(!log.includes('pw-123456'), 'password logged');
    });
  });
}
