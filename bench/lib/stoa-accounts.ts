/**
 * Signs users up on a running Stoa through its public HTTP API only, for
 * bench/hot-path.ts, and collects what each surface's signed-in calls need:
 *
 * - web account: `POST /user/signup` (name, e-mail, phone, password), then `POST /user/login`
 *   for the web JWT (monitor and live: `Authorization: JWT <t>`);
 * - chat token: `POST /api/login` with the same name and password (one user store);
 * - iHome session cookie: `POST /api/v1.0/sessions` with the account's phone and password
 *   (a phone registered through the web sign-up logs in there as well, so no SMS code is
 *   needed);
 * - study token: a separate study account from `POST /api/v1.0/register` (username,
 *   password, 10-digit student id; the server's default STUDENT_VERIFIER=none accepts any
 *   well-formed id), then `GET /api/v1.0/token` with Basic `name:password`; the token is used
 *   as `Basic base64(token:)`. Each study account gets a few ended sessions, so
 *   `GET /studys` has rows to list.
 *
 * Every account also posts one chat message, so the chat history is not empty, and account
 * 0 goes live (`POST /user/live`) so the others have a stream to `watch`.
 */

/** One bench user's credentials on every surface. */
export interface StoaAccount {
  name: string;
  phone: string;
  /** Web JWT (monitor, live). */
  jwt: string;
  /** Chat token (`Authorization: <token>`). */
  chatToken: string;
  /** `session=<value>` for the iHome front end. */
  ihomeCookie: string;
  /** Study token. */
  studyToken: string;
}

/** The accounts and the stream they watch. */
export interface StoaUsers {
  accounts: StoaAccount[];
  /** The streamer who is live (account 0). */
  streamer: string;
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Throws with the call and the answer unless `ok` holds. */
function expect(what: string, answer: Answer, ok: (a: Answer) => boolean): Answer {
  if (!ok(answer)) throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The study tracker's wire time (UTC `YYYY-MM-DD HH:MM:SS`) of `ms`. */
const wireTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

async function createAccount(baseUrl: string, i: number, tag: string): Promise<StoaAccount> {
  const name = `hp${tag}${i}`;
  const password = `pw-${name}-bench`;
  const phone = `139${String(i).padStart(8, '0')}`;
  expect(`signup ${name}`, await call(baseUrl, 'POST', '/user/signup', {
    s_name: name, s_email: `${name}@bench.test`, s_password: password, s_password_confirmation: password, s_phone: phone,
  }), (a) => a.status === 200);
  const web = expect(`web login ${name}`, await call(baseUrl, 'POST', '/user/login', { s_name: name, s_password: password }), (a) => a.status === 200);
  const chat = expect(`chat login ${name}`, await call(baseUrl, 'POST', '/api/login', { username: name, password }), (a) => a.status === 200 && typeof a.body.token === 'string');
  const ihome = expect(`ihome login ${phone}`, await call(baseUrl, 'POST', '/api/v1.0/sessions', { mobile: phone, password }), (a) => a.body?.errcode === '0');
  const cookie = ihome.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('session='));
  if (!cookie) throw new Error(`ihome login ${phone}: no session cookie`);

  const student = `st${tag}${i}`;
  expect(`study register ${student}`, await call(baseUrl, 'POST', '/api/v1.0/register', {
    username: student, password, stu_id: String(2_000_000_000 + i), stu_pwd: 'school-password',
  }), (a) => a.status === 201);
  const study = expect(`study token ${student}`, await call(baseUrl, 'GET', '/api/v1.0/token', undefined, { authorization: basic(student, password) }), (a) => a.status === 200);
  const studyToken = study.body.token as string;
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day) * day;
  for (let d = 3; d >= 1; d--) {
    const auth = { authorization: basic(studyToken, '') };
    const started = expect(`study start ${student}`, await call(baseUrl, 'POST', '/api/v1.0/studys/', { start_time: wireTime(today - d * day + 8 * 3_600_000) }, auth), (a) => a.status === 201);
    expect(`study end ${student}`, await call(baseUrl, 'PUT', `/api/v1.0/studys/${started.body.id}`, { end_time: wireTime(today - d * day + 10 * 3_600_000) }, auth), (a) => a.status === 200);
  }
  expect(`chat post ${name}`, await call(baseUrl, 'POST', '/api/chat', { message: `hello from ${name}` }, { authorization: chat.body.token }), (a) => a.status === 200);
  return { name, phone, jwt: web.body.access_token as string, chatToken: chat.body.token as string, ihomeCookie: cookie, studyToken };
}

/** Creates `count` accounts (a few at a time) and puts account 0 live. `tag` keeps names apart between servers. */
export async function createStoaUsers(baseUrl: string, count: number, tag = ''): Promise<StoaUsers> {
  const accounts: StoaAccount[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      accounts[i] = await createAccount(baseUrl, i, tag);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, lane));
  const streamer = accounts[0]!;
  expect(`go live ${streamer.name}`, await call(baseUrl, 'POST', '/user/live', { s_name: streamer.name }, { authorization: `JWT ${streamer.jwt}` }), (a) => a.status === 200);
  return { accounts, streamer: streamer.name };
}

/** One signed-in call answered as expected (status and, optionally, a text in the body), or an Error saying what came back. */
export async function probe(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: string, mustContain?: string): Promise<void> {
  const res = await fetch(baseUrl + path, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  if (res.status < 200 || res.status >= 300 || (mustContain !== undefined && !text.includes(mustContain))) {
    throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
}
