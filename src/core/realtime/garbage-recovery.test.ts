import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TcpClient, WsClient, type Json } from '../../../test/support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

const INVALID_JSON = { type: 'error', status: 'error', message: 'Invalid JSON' };
const UNKNOWN_TYPE = { type: 'error', status: 'error', message: 'Unknown type' };
const FRAME_TOO_LARGE = { type: 'error', status: 'error', message: 'Frame too large' };

/** Beginnings that leave a JSON value open, so the line after them must be told apart from them. */
const OPEN_STARTS = ['{', '[', '{"a":', '{"a":[', '{"m":"x', '{"m":"\\', '{"a":1,', '{"a":tru', '{"a":-', '[1,2', 'abc{', '{}{', '"', '}'];
/** Bytes that stress a JSON scanner: structure, quotes, escapes, NUL, CR, UTF-8 lead and stray bytes. */
const STRESS_BYTES = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x3a, 0x2c, 0x00, 0x0d, 0xff, 0xc3, 0x80, 0x20, 0x61, 0x31, 0x74];
const BLANK = new Set([0x20, 0x09, 0x0d]);

/** One line of garbage (no newline), never blank: an open beginning, random bytes, or both. */
function garbageLine(random: () => number): Buffer {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const head = random() < 0.5 ? Buffer.from(pick(OPEN_STARTS)) : Buffer.alloc(0);
  const tail = Array.from({ length: Math.floor(random() * 20) }, () => (random() < 0.7 ? pick(STRESS_BYTES) : 1 + Math.floor(random() * 255)));
  const bytes = Buffer.concat([head, Buffer.from(tail.filter((b) => b !== 0x0a))]);
  return [...bytes].every((b) => BLANK.has(b)) ? Buffer.from('x') : bytes;
}

/** A valid request whose answer names it: unsubscribing from topic `seq<n>` answers `unsubscribed` with that topic. */
function validFrame(n: number): Buffer {
  return Buffer.from(JSON.stringify({ type: 'unsubscribe', topic: `seq${n}` }));
}

describe('no input leaves a realtime connection stuck', () => {
  let db: TestDatabase;
  let server: TestServer;
  const open: Array<{ close(): void }> = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db);
  });
  after(async () => {
    for (const client of open) client.close();
    await server.stop();
    await db.drop();
  });

  test('property (TCP): random garbage lines between valid frames; each valid frame is answered, in order, each garbage gap with errors only', async (t) => {
    const seed = Number(process.env.GARBAGE_SEED ?? Date.now() % 2 ** 31);
    t.diagnostic(`GARBAGE_SEED=${seed}`);
    const random = seededRandom(seed);
    const why = `replay with GARBAGE_SEED=${seed}`;
    const client = await TcpClient.connect(server.tcpPort);
    open.push(client);
    client.socket.setNoDelay(true);

    const validCount = 150;
    const gaps: number[] = [];
    const lines: Buffer[] = [];
    for (let n = 0; n < validCount; n++) {
      const garbage = Math.floor(random() * 3);
      gaps.push(garbage);
      for (let g = 0; g < garbage; g++) lines.push(garbageLine(random));
      lines.push(validFrame(n));
    }
    const stream = Buffer.concat(lines.flatMap((line) => [line, Buffer.from(random() < 0.2 ? '\r\n' : '\n')]));
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 200);
      client.write(stream.subarray(at, at + size));
      at += size;
    }

    let errors: Json[] = [];
    for (let n = 0; n < validCount; ) {
      const answer = await client.next(undefined, 5000).catch((err: Error) => assert.fail(`${why}: waiting for seq${n}: ${err.message}`));
      if (answer.type === 'error') {
        assert.ok([INVALID_JSON, UNKNOWN_TYPE].some((e) => e.message === answer.message), `${why}: unexpected error ${JSON.stringify(answer)}`);
        errors.push(answer);
        continue;
      }
      assert.deepEqual(answer, { type: 'unsubscribed', topic: `seq${n}` }, `${why}: answers out of order`);
      if (gaps[n] === 0) assert.equal(errors.length, 0, `${why}: errors before seq${n} with no garbage before it`);
      else assert.ok(errors.length >= 1, `${why}: ${gaps[n]} garbage line(s) before seq${n} went unanswered`);
      errors = [];
      n++;
    }
    assert.deepEqual(client.inbox.pending(), [], why);
    assert.equal(client.inbox.closed, false, why);
  });

  test('TCP: invalid text right after a slow request is answered after it, not before', async () => {
    const client = await TcpClient.connect(server.tcpPort);
    open.push(client);
    client.write(`${JSON.stringify({ type: 'login', username: 'nobody_here', password: 'pw-123456' })}\nnot json\n`);
    assert.equal((await client.next()).type, 'login');
    assert.deepEqual(await client.next(), INVALID_JSON);
  });

  test('TCP: a frame over the limit is answered after the frames before it, then the connection closes', async () => {
    const client = await TcpClient.connect(server.tcpPort);
    open.push(client);
    client.write(`${validFrame(1)}\nnot json\n{"type":"chat","message":"${'x'.repeat(70 * 1024)}"}\n`);
    assert.deepEqual(await client.next(), { type: 'unsubscribed', topic: 'seq1' });
    assert.deepEqual(await client.next(), INVALID_JSON);
    assert.deepEqual(await client.next(), FRAME_TOO_LARGE);
    await client.closed;
  });

  test('WebSocket: a message over the limit gets the JSON error, after the answers before it, then close 1009', async () => {
    const client = await WsClient.connect(server.wsUrl);
    open.push(client);
    client.sendText(validFrame(2).toString());
    client.sendText('not json');
    client.sendText(JSON.stringify({ type: 'chat', message: 'x'.repeat(70 * 1024) }));
    assert.deepEqual(await client.next(), { type: 'unsubscribed', topic: 'seq2' });
    assert.deepEqual(await client.next(), INVALID_JSON);
    assert.deepEqual(await client.next(), FRAME_TOO_LARGE);
    assert.equal((await client.closed).code, 1009);
  });
});
