import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { TcpClient, WsClient, type Json } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { createLogger } from '../log.js';

const PASSWORD = 'pw-123456';
const NUL_REFUSED = { type: 'error', status: 'error', message: 'Text may not contain NUL characters' };
const SURROGATE_REFUSED = { type: 'error', status: 'error', message: 'Text may not contain unpaired surrogates' };
/** pino's numeric level for `error`; `fatal` is above it. */
const PINO_ERROR_LEVEL = 50;

/** One realtime client, whatever its transport: send an object, read answers in order. */
interface RealtimeClient {
  send(message: Json): void;
  next(): Promise<Json>;
  close(): void;
}

/** A Socket.IO client reading `message` events in order. */
async function connectSocketIo(baseUrl: string): Promise<RealtimeClient> {
  const socket = io(baseUrl, { reconnection: false, transports: ['websocket'] });
  const seen: Json[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (m: Json) => {
    seen.push(m);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject)));
  const next = async (): Promise<Json> => {
    const deadline = Date.now() + 5000;
    while (seen.length === 0) {
      if (Date.now() > deadline) throw new Error('no Socket.IO message within 5 s');
      await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 100)));
    }
    return seen.shift()!;
  };
  return { send: (m) => socket.emit('message', m), next, close: () => socket.disconnect() };
}

const TRANSPORTS: Record<string, (srv: TestServer) => Promise<RealtimeClient>> = {
  tcp: async (srv) => {
    const client = await TcpClient.connect(srv.tcpPort);
    return { send: (m) => client.send(m), next: () => client.next(), close: () => client.close() };
  },
  ws: async (srv) => {
    const client = await WsClient.connect(srv.wsUrl);
    return { send: (m) => client.send(m), next: () => client.next(), close: () => client.close() };
  },
  socketio: (srv) => connectSocketIo(srv.baseUrl),
};

/** Requests carrying text no database can store, each with the refusal it must get. */
function unstorableRequests(username: string, token: string): Array<{ name: string; request: Json; answer: Json }> {
  return [
    { name: 'register, NUL in the username', request: { type: 'register', username: `ab\u0000cd`, password: PASSWORD }, answer: NUL_REFUSED },
    { name: 'register, NUL in the password', request: { type: 'register', username: `${username}x`, password: `pw\u0000123456` }, answer: NUL_REFUSED },
    { name: 'register, lone surrogate in the avatar', request: { type: 'register', username: `${username}y`, password: PASSWORD, avatar: 'a\ud800.png' }, answer: SURROGATE_REFUSED },
    { name: 'login, NUL in the username', request: { type: 'login', username: `${username}\u0000`, password: PASSWORD }, answer: NUL_REFUSED },
    { name: 'login, lone low surrogate in the password', request: { type: 'login', username, password: `pw\udc00` }, answer: SURROGATE_REFUSED },
    { name: 'chat, NUL in the message', request: { type: 'chat', token, message: 'hi\u0000there' }, answer: NUL_REFUSED },
    { name: 'chat, lone surrogate in the message', request: { type: 'chat', token, message: 'hi \ud83d' }, answer: SURROGATE_REFUSED },
    { name: 'chat, NUL deep in an extra field', request: { type: 'chat', token, message: 'hi', extra: [{ deep: ['\u0000'] }] }, answer: NUL_REFUSED },
    { name: 'heartbeat, NUL in a key', request: { type: 'heartbeat', token, 'k\u0000': 1 }, answer: NUL_REFUSED },
    { name: 'subscribe, NUL in the topic', request: { type: 'subscribe', topic: 'alerts\u0000' }, answer: NUL_REFUSED },
  ];
}

for (const d of await dialects()) {
  describe(`text a database cannot store is refused on every realtime transport (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    const logLines: string[] = [];
    const open: RealtimeClient[] = [];
    let users = 0;

    before(async () => {
      db = await createTestDatabase(d.name);
      const log = createLogger('trace', { write: (line: string) => void logLines.push(line) });
      srv = await startTestServer(db, { env: { CHAT_REGISTRATIONS_PER_HOUR: '1000', CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000' }, log });
    });
    after(async () => {
      for (const client of open) client.close();
      await srv?.stop();
      await db?.drop();
    });

    for (const [transport, connect] of Object.entries(TRANSPORTS)) {
      test(`${transport}: register, login, chat, heartbeat and subscribe with NUL or lone surrogates get the error; the connection stays usable`, async () => {
        const client = await connect(srv);
        open.push(client);
        const username = `nul_${transport}${++users}`;
        client.send({ type: 'register', username, password: PASSWORD });
        assert.equal((await client.next()).type, 'register_1');
        client.send({ type: 'login', username, password: PASSWORD });
        const login = await client.next();
        assert.equal(login.status, 'success', JSON.stringify(login));

        for (const { name, request, answer } of unstorableRequests(username, login.token)) {
          client.send(request);
          assert.deepEqual(await client.next(), answer, name);
        }

        client.send({ type: 'chat', token: login.token, message: 'still here' });
        const afterwards = [await client.next(), await client.next()];
        assert.ok(afterwards.some((m) => m.type === 'chat' && m.status === 'success'), JSON.stringify(afterwards));
        client.send({ type: 'heartbeat', token: login.token });
        assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'success' });
      });
    }

    test('nothing was logged at error level', () => {
      assert.ok(logLines.length > 0, 'the log capture saw nothing');
      const errors = logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= PINO_ERROR_LEVEL);
      assert.deepEqual(errors, []);
    });
  });
}
