import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test, type TestContext } from 'node:test';
import { randomHex } from '../../src/lib/crypto.js';
import { sendJson, spawnServer, stopProcess, type JsonAnswer, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, dialects, type TestDatabase } from '../support/stoa.js';

// "Every write is durable before it is acknowledged", proven the hard way: many keep-alive
// clients write at once, the server is SIGKILLed mid-burst, restarted on the same database,
// and everything it had answered 200 must be there. Writes it never answered may or may not be.

/** Rate limits out of the way (the burst is one address and few users) and cheap argon2. */
const SERVER_ENV: Record<string, string> = {
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  CHAT_MESSAGES_PER_MINUTE: '10000000',
  CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
  CHAT_REGISTRATIONS_PER_HOUR: '10000000',
  WEB_LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
  WEB_JWT_TTL_S: '3600',
};

/** Concurrent keep-alive clients in a burst. */
const CLIENTS = 32;
/** `GET /api/chat/history` returns at most this many (the latest), and has no paging. */
const HISTORY_MAX = 200;
const PASSWORD = 'crash-test-password';
/** Gifts are powers of two up to 2^29 (MAX_GIFT is 10^9), so a streamer's total tells exactly which of its gifts landed. */
const GIFT_BITS = 30;

/** What a burst left behind: the acknowledged writes and how the kill cut it short. */
interface Burst<T> {
  acked: T[];
  /** Requests sent. */
  sent: number;
  /** Requests whose connection died before a whole answer came back. */
  interrupted: number;
}

/**
 * Runs CLIENTS workers over one keep-alive agent, each sending `request(agent, i, worker)`
 * for the next `i` until `total` are sent, and SIGKILLs the server the moment `killAfter`
 * requests are acknowledged, from inside that answer's callback: every other worker has a
 * request out then, so the kill lands mid-burst without any timing guess (and the checks
 * below prove it did). `request` returns the acknowledged write, null when the connection
 * died, and throws on any other answer. Answers that arrive after the signal still count:
 * the server sent them. `total` must leave room for the kill: at least `killAfter + CLIENTS`.
 */
async function burstUntilKilled<T>(
  t: TestContext,
  server: ServerProcess,
  plan: { total: number; killAfter: number; request: (agent: http.Agent, i: number, worker: number) => Promise<T | null> },
): Promise<Burst<T>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  const burst: Burst<T> = { acked: [], sent: 0, interrupted: 0 };
  let killed = false;
  const worker = async (w: number) => {
    while (!killed && burst.sent < plan.total) {
      const outcome = await plan.request(agent, burst.sent++, w);
      if (outcome === null) {
        burst.interrupted += 1;
        if (!killed) throw new Error('a connection died before the kill');
        continue;
      }
      burst.acked.push(outcome);
      if (!killed && burst.acked.length >= plan.killAfter) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));
    assert.ok(killed, `the burst ended after ${burst.acked.length} acknowledgements, before the kill at ${plan.killAfter}`);
    await exited;
  } finally {
    agent.destroy();
  }
  t.diagnostic(`${burst.sent} sent, ${burst.acked.length} acknowledged, ${burst.interrupted} cut off by the kill`);
  assert.equal(server.child.signalCode, 'SIGKILL');
  assert.ok(burst.acked.length >= plan.killAfter, `only ${burst.acked.length} writes were acknowledged before the kill`);
  assert.ok(burst.interrupted > 0, `the kill should interrupt requests in flight (${burst.sent} sent, ${burst.acked.length} acknowledged)`);
  return burst;
}

/** The answer's body when it is `status`, otherwise a failure naming `what`. */
function expectStatus(answer: JsonAnswer | null, status: number, what: string): any {
  assert.ok(answer, `${what}: the connection died`);
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Runs `task` for each item, at most `width` at a time (setup and read-back, never racing a kill). */
async function eachLimited<T, R>(items: T[], width: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

/** Registers chat users `prefix0`..`prefix{count-1}` over HTTP. */
async function registerChatUsers(agent: http.Agent, baseUrl: string, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  await eachLimited(names, 16, async (username) =>
    expectStatus(await sendJson(agent, `${baseUrl}/api/register`, { body: { username, password: PASSWORD } }), 200, `register ${username}`),
  );
  return names;
}

/** A chat login's token, or null when the connection died; throws on any answer but a success. */
async function chatLogin(agent: http.Agent, baseUrl: string, username: string): Promise<string | null> {
  const answer = await sendJson(agent, `${baseUrl}/api/login`, { body: { username, password: PASSWORD } });
  if (answer === null) return null;
  const body = expectStatus(answer, 200, `login ${username}`);
  assert.match(body.token, /^[0-9a-f]{32}$/);
  return body.token as string;
}

/** Signs a web (monitor/live) account up and logs it in; returns its `Authorization` header. */
async function webAccount(agent: http.Agent, baseUrl: string, name: string, n: number): Promise<Record<string, string>> {
  const signup = { s_name: name, s_email: `${name}@example.test`, s_password: PASSWORD, s_password_confirmation: PASSWORD, s_phone: `139${String(n).padStart(8, '0')}` };
  expectStatus(await sendJson(agent, `${baseUrl}/user/signup`, { body: signup }), 200, `signup ${name}`);
  const login = expectStatus(await sendJson(agent, `${baseUrl}/user/login`, { body: { s_name: name, s_password: PASSWORD } }), 200, `login ${name}`);
  return { authorization: `JWT ${login.access_token}` };
}

for (const d of await dialects()) {
  describe(`acknowledged writes survive SIGKILL (${d.name})`, { skip: d.skip }, () => {
    const databases: TestDatabase[] = [];
    const servers: ServerProcess[] = [];
    after(async () => {
      await Promise.all(servers.map((s) => stopProcess(s.child, 'SIGKILL')));
      for (const db of databases) await db.drop();
    });

    /** A fresh database and a server on it. */
    async function firstServer(): Promise<{ db: TestDatabase; env: Record<string, string>; server: ServerProcess }> {
      const db = await createTestDatabase(d.name);
      databases.push(db);
      const env = { ...SERVER_ENV, ...db.env };
      return { db, env, server: await restart(env) };
    }

    /** Another server on the same database, as after a crash. */
    async function restart(env: Record<string, string>): Promise<ServerProcess> {
      const server = await spawnServer(env);
      servers.push(server);
      return server;
    }

    test('chat messages', async (t) => {
      const { env, server } = await firstServer();
      const setup = new http.Agent({ keepAlive: true });
      const names = await registerChatUsers(setup, server.baseUrl, 'talker', CLIENTS);
      const tokens = await eachLimited(names, 16, async (name) => {
        const token = await chatLogin(setup, server.baseUrl, name);
        assert.ok(token, `login ${name}: the connection died`);
        return token;
      });
      setup.destroy();

      // At most HISTORY_MAX messages are ever sent, so history's latest HISTORY_MAX hold every stored one.
      const run = randomHex(4);
      const burst = await burstUntilKilled(t, server, {
        total: HISTORY_MAX,
        killAfter: HISTORY_MAX / 2,
        request: async (agent, i, worker) => {
          const message = `durable ${run} #${i}`;
          const answer = await sendJson(agent, `${server.baseUrl}/api/chat`, { body: { message }, headers: { authorization: tokens[worker]! } });
          if (answer === null) return null;
          assert.deepEqual(expectStatus(answer, 200, `chat ${message}`), { type: 'chat', status: 'success' });
          return message;
        },
      });

      const second = await restart(env);
      const reader = new http.Agent({ keepAlive: true });
      const token = await chatLogin(reader, second.baseUrl, names[0]!);
      assert.ok(token, 'login after the restart: the connection died');
      const history = expectStatus(
        await sendJson(reader, `${second.baseUrl}/api/chat/history?limit=${HISTORY_MAX}`, { method: 'GET', headers: { authorization: token } }),
        200,
        'history',
      );
      reader.destroy();
      const stored = new Set<string>(history.messages.map((m: { message: string }) => m.message));
      assert.ok(stored.size <= burst.sent, `history holds ${stored.size} messages but only ${burst.sent} were sent`);
      const missing = burst.acked.filter((m) => !stored.has(m));
      assert.deepEqual(missing, [], `${missing.length} of ${burst.acked.length} acknowledged messages are missing`);
      await stopProcess(second.child);
    });

    test('live gifts', async (t) => {
      const { env, server } = await firstServer();
      const setup = new http.Agent({ keepAlive: true });
      const streamers = Array.from({ length: 20 }, (_, i) => `star${i}`);
      const viewers = Array.from({ length: CLIENTS }, (_, i) => `fan${i}`);
      const auth = await eachLimited([...streamers, ...viewers], 16, (name, n) => webAccount(setup, server.baseUrl, name, n));
      const streamerAuth = auth.slice(0, streamers.length);
      const viewerAuth = auth.slice(streamers.length);
      await eachLimited(streamers, 16, async (s_name, i) =>
        expectStatus(await sendJson(setup, `${server.baseUrl}/user/live`, { body: { s_name }, headers: streamerAuth[i]! }), 200, `go live ${s_name}`),
      );
      setup.destroy();

      // Gift i goes to streamer i % S and is worth 2^floor(i / S): each streamer's total is a bit set of its gifts.
      const giftOf = (i: number) => ({ streamer: i % streamers.length, bit: Math.floor(i / streamers.length) });
      const total = streamers.length * GIFT_BITS;
      const burst = await burstUntilKilled(t, server, {
        total,
        killAfter: 400,
        request: async (agent, i, worker) => {
          const gift = giftOf(i);
          const s_name = streamers[gift.streamer]!;
          const answer = await sendJson(agent, `${server.baseUrl}/user/money_follow`, {
            method: 'PUT',
            body: { s_name, i_donate: 2 ** gift.bit },
            headers: viewerAuth[worker]!,
          });
          if (answer === null) return null;
          expectStatus(answer, 200, `gift ${i} to ${s_name}`);
          return gift;
        },
      });

      const second = await restart(env);
      const reader = new http.Agent({ keepAlive: true });
      const totals = await eachLimited(streamers, 16, async (s_name) => {
        const info = expectStatus(await sendJson(reader, `${second.baseUrl}/user/ueinfo?s_name=${s_name}`, { method: 'GET' }), 200, `ueinfo ${s_name}`);
        const live = expectStatus(await sendJson(reader, `${second.baseUrl}/user/streams?s_name=${s_name}`, { method: 'GET' }), 200, `streams ${s_name}`);
        assert.equal(live.length, 1, `${s_name} should still be live`);
        return { channel: info.i_donate as number, stream: live[0].donated as number };
      });
      reader.destroy();
      const has = (sum: number, bit: number) => Math.floor(sum / 2 ** bit) % 2 === 1;
      const sent = streamers.map(() => 0);
      for (let i = 0; i < burst.sent; i++) sent[giftOf(i).streamer] += 2 ** giftOf(i).bit;
      for (const [streamer, sums] of totals.entries()) {
        for (const [where, sum] of Object.entries(sums)) {
          const foreign = Array.from({ length: GIFT_BITS + 1 }, (_, bit) => bit).filter((bit) => has(sum, bit) && !has(sent[streamer]!, bit));
          assert.ok(sum < 2 ** GIFT_BITS && foreign.length === 0, `${streamers[streamer]} ${where} total ${sum} holds gifts never sent`);
        }
      }
      const missing = burst.acked.filter((g) => !has(totals[g.streamer]!.channel, g.bit) || !has(totals[g.streamer]!.stream, g.bit));
      assert.deepEqual(missing, [], `${missing.length} of ${burst.acked.length} acknowledged gifts are missing`);
      await stopProcess(second.child);
    });

    test('chat tokens issued at login', async (t) => {
      const { env, server } = await firstServer();
      const setup = new http.Agent({ keepAlive: true });
      const names = await registerChatUsers(setup, server.baseUrl, 'member', 200);
      setup.destroy();

      const burst = await burstUntilKilled(t, server, {
        total: names.length,
        killAfter: 100,
        request: async (agent, i) => {
          const token = await chatLogin(agent, server.baseUrl, names[i]!);
          return token === null ? null : { username: names[i]!, token };
        },
      });

      const second = await restart(env);
      const reader = new http.Agent({ keepAlive: true });
      const statuses = await eachLimited(burst.acked, 16, async ({ token }) => {
        const answer = await sendJson(reader, `${second.baseUrl}/api/chat/history?limit=1`, { method: 'GET', headers: { authorization: token } });
        return answer?.status ?? null;
      });
      reader.destroy();
      const rejected = burst.acked.filter((_, i) => statuses[i] !== 200).map((a) => a.username);
      assert.deepEqual(rejected, [], `${rejected.length} of ${burst.acked.length} acknowledged tokens no longer work`);
      await stopProcess(second.child);
    });
  });
}
