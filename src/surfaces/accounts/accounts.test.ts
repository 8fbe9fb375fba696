import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { assertWebJwt, signupBody } from './test-helpers.js';

/** What the steps share while the table runs against one server. */
interface Scene {
  srv: TestServer;
  db: TestDatabase;
  tokens: Record<string, string>;
}
type Res = Awaited<ReturnType<typeof http>>;
type Val<T> = T | ((s: Scene) => T);

/** One HTTP call and its exact expected status and body. */
interface Step {
  name: string;
  method?: string;
  path: string;
  headers?: Val<Record<string, string>>;
  body?: unknown;
  rawBody?: string;
  status: number;
  exact?: object;
  before?: (s: Scene) => Promise<void>;
  then?: (res: Res, s: Scene) => void | Promise<void>;
}

const val = <T>(v: Val<T> | undefined, s: Scene) => (typeof v === 'function' ? (v as (s: Scene) => T)(s) : v);
const jwt = (user: string, scheme = 'JWT') => (s: Scene) => ({ authorization: `${scheme} ${s.tokens[user]}` });
const keep = (user: string) => (res: Res, s: Scene) => void (s.tokens[user] = res.body.access_token);

const NULL_PARAM = { Error: 'have some parameter null' };
const OK_SIGNUP = { message: 'JSON received successfully' };
const MISSING = { Error: 'Missing required parameters' };
const INVALID = { Error: 'Invalid credentials' };
const UNAUTHORIZED = { Error: 'Unauthorized' };
const FORBIDDEN = { Error: 'Forbidden' };
const NOT_CONFIGURED = { error: 'Google login is not configured' };

const signup = (name: string, body: unknown, status: number, exact: object, headers?: Record<string, string>): Step => ({
  name: `signup: ${name} -> ${status}`,
  method: 'POST',
  path: '/user/signup',
  body,
  headers,
  status,
  exact,
});
const login = (name: string, body: unknown, status: number, exact?: object, then?: Step['then']): Step => ({
  name: `login: ${name} -> ${status}`,
  method: 'POST',
  path: '/user/login',
  body,
  status,
  exact,
  then,
});
const info = (name: string, level: number) => ({ s_name: name, s_email: `${name}@example.com`, s_phone: signupBody(name).s_phone, access_level: level });
/** A 200 login whose body is exact apart from the token, which must be a well-formed web JWT. */
const loggedIn = (user: string, level: number, via = user): Step =>
  login(`${user} via ${via}`, { s_name: via, s_password: `pw-${user}-123` }, 200, undefined, (res, s) => {
    assert.deepEqual(res.body, { message: 'Login successful', user_info: info(user, level), access_token: res.body.access_token });
    assertWebJwt(res.body.access_token);
    keep(user)(res, s);
  });

const SCENARIOS: Step[] = [
  signup('missing s_phone', { ...signupBody('alice'), s_phone: undefined }, 403, NULL_PARAM),
  signup('blank name after trim', signupBody('alice', { s_name: '   ' }), 403, NULL_PARAM),
  signup('blank confirmation', signupBody('alice', { s_password_confirmation: ' \t' }), 403, NULL_PARAM),
  signup('non-string e-mail', signupBody('alice', { s_email: { a: 1 } }), 403, NULL_PARAM),
  signup('array body', [1, 2], 403, NULL_PARAM),
  signup('empty body', undefined, 403, NULL_PARAM),
  { name: 'signup: malformed JSON -> 400', method: 'POST', path: '/user/signup', rawBody: '{"s_name":', status: 400, exact: { Error: 'Body is not valid JSON' } },
  signup('passwords differ', signupBody('alice', { s_password_confirmation: 'other' }), 401, { Error: 'need identical password' }),
  signup('non-digit access level', signupBody('alice'), 400, { Error: 'invalid access level' }, { authorization: 'admin' }),
  signup('negative access level', signupBody('alice'), 400, { Error: 'invalid access level' }, { authorization: '-1' }),
  signup('access level too large', signupBody('alice'), 400, { Error: 'invalid access level' }, { authorization: '99999999999' }),
  signup('alice', signupBody('alice'), 200, OK_SIGNUP),
  signup('e-mail taken (other case)', signupBody('alice2', { s_email: 'ALICE@Example.com' }), 402, { Error: 'email already registers' }),
  signup('name taken', signupBody('alice', { s_email: 'other@example.com', s_phone: '1' }), 402, { Error: 'name already registers' }),
  signup('name and e-mail taken: e-mail wins', signupBody('alice', { s_phone: '2' }), 402, { Error: 'email already registers' }),
  signup('phone taken', signupBody('alice3', { s_phone: signupBody('alice').s_phone }), 402, { Error: 'phone already registers' }),
  signup('bob asks for level 2 (self-grantable)', signupBody('bob'), 200, OK_SIGNUP, { authorization: '2' }),
  signup('carol asks for level 9 (needs an admin)', signupBody('carol'), 200, OK_SIGNUP, { authorization: '9' }),
  signup('dave with an empty Authorization header (level 0)', signupBody('dave'), 200, OK_SIGNUP, { authorization: '' }),

  login('missing password', { s_name: 'alice' }, 400, MISSING),
  login('blank name', { s_name: '  ', s_password: 'x' }, 400, MISSING),
  login('not an object', 'alice', 400, MISSING),
  login('wrong password', { s_name: 'alice', s_password: 'nope' }, 400, INVALID),
  login('unknown user', { s_name: 'nobody', s_password: 'nope' }, 400, INVALID),
  loggedIn('alice', 0),
  loggedIn('alice', 0, 'alice@example.com'),
  loggedIn('bob', 2),
  loggedIn('carol', 0),
  {
    name: 'login: pending-activation account -> 403',
    method: 'POST',
    path: '/user/login',
    body: { s_name: 'dave', s_password: 'pw-dave-123' },
    before: async (s) => void (await s.srv.server.app.db.updateTable('users').set({ status: 'pending' }).where('username', '=', 'dave').execute()),
    status: 403,
    exact: { Error: 'Account not activated' },
  },
  login('pending account, wrong password', { s_name: 'dave', s_password: 'x' }, 400, INVALID),

  { name: 'logout: no token -> 401', method: 'POST', path: '/user/logout', status: 401, exact: UNAUTHORIZED },
  { name: 'logout: garbage token -> 401', method: 'POST', path: '/user/logout', headers: { authorization: 'JWT abc.def.ghi' }, status: 401, exact: UNAUTHORIZED },
  { name: 'logout: unknown scheme -> 401', method: 'POST', path: '/user/logout', headers: (s) => ({ authorization: `Token ${s.tokens.alice}` }), status: 401, exact: UNAUTHORIZED },
  { name: 'logout: alice (JWT scheme) -> 200', method: 'POST', path: '/user/logout', headers: jwt('alice'), status: 200, exact: { message: 'Logout successful' } },
  { name: 'logout: same token again -> 401', method: 'POST', path: '/user/logout', headers: jwt('alice'), status: 401, exact: UNAUTHORIZED },
  { name: 'logout: bob (Bearer scheme) -> 200', method: 'POST', path: '/user/logout', headers: jwt('bob', 'Bearer'), status: 200, exact: { message: 'Logout successful' } },

  { name: 'access requests: list without token -> 401', path: '/user/access-requests?status=pending', status: 401, exact: UNAUTHORIZED },
  { name: 'access requests: list as level 0 -> 403', path: '/user/access-requests?status=pending', headers: jwt('carol'), status: 403, exact: FORBIDDEN },
  { name: 'access requests: approve as level 0 -> 403', method: 'POST', path: '/user/access-requests/1/approve', headers: jwt('carol'), status: 403, exact: FORBIDDEN },
  { name: 'access requests: approve without token -> 401', method: 'POST', path: '/user/access-requests/1/approve', status: 401, exact: UNAUTHORIZED },

  { name: 'google: login not configured -> 404', path: '/user/google-login', status: 404, exact: NOT_CONFIGURED },
  { name: 'google: callback not configured -> 404', path: '/user/google-callback?code=a&state=b', status: 404, exact: NOT_CONFIGURED },
];

async function runStep(step: Step, s: Scene): Promise<void> {
  await step.before?.(s);
  const res = await http(s.srv.baseUrl, step.method ?? 'GET', step.path, {
    headers: val(step.headers, s),
    body: step.body,
    rawBody: step.rawBody,
  });
  assert.equal(res.status, step.status, `${step.name}: ${JSON.stringify(res.body)}`);
  if (step.exact) assert.deepEqual(res.body, step.exact);
  await step.then?.(res, s);
}

for (const d of await dialects()) {
  describe(`monitor web account scenarios (${d.name})`, { skip: d.skip }, () => {
    const scene = {} as Scene;
    before(async () => {
      scene.db = await createTestDatabase(d.name);
      scene.srv = await startTestServer(scene.db, { env: { SIGNUP_MAX_SELF_LEVEL: '2', WEB_LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
      scene.tokens = {};
    });
    after(async () => {
      await scene.srv?.stop();
      await scene.db?.drop();
    });

    for (const step of SCENARIOS) test(step.name, () => runStep(step, scene));

    test('stored e-mail is lowercased and the password is an argon2id hash', async () => {
      const alice = await findUserByUsername(scene.srv.server.app.db, 'alice');
      assert.equal(alice?.email, 'alice@example.com');
      assert.match(alice?.password_hash ?? '', /^\$argon2id\$/);
    });

    test('failed logins per IP and name are limited: 429 after the budget', async () => {
      const attempt = (password: string) => http(scene.srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'carol', s_password: password } });
      for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong')).status, 400);
      const limited = await attempt('pw-carol-123');
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, { Error: 'Too many attempts, try again later' });
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      const other = await http(scene.srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'bob', s_password: 'pw-bob-123' } });
      assert.equal(other.status, 200, 'another name keeps its own budget');
    });

    test('concurrent sign-ups of one name: one 200, the other 402 (unique violation mapped)', async () => {
      const results = await Promise.all(
        ['race@a.example', 'race@b.example'].map((email, i) =>
          http(scene.srv.baseUrl, 'POST', '/user/signup', { body: signupBody('racer', { s_email: email, s_phone: `15${i}00000000` }) }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 402]);
      assert.deepEqual(results.find((r) => r.status === 402)!.body, { Error: 'name already registers' });
    });
  });
}
