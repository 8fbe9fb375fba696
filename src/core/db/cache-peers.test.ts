import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { capturingLog } from '../../../test/support/capturing-log.js';
import { http } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { ManualClock } from '../../lib/clock.js';
import { findTokenUser, issueToken, revokeToken, revokeUserTokens } from '../auth/tokens.js';
import { registerAccount } from '../users/accounts.js';

const postgres = (await dialects()).find((d) => d.name === 'postgres')!;

/** Runs `statement` from outside every node, as psql would: no node hears of it. */
async function fromOutside(url: string, statement: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement, values);
  } finally {
    await client.end();
  }
}

describe('nodes sharing PostgreSQL serve hot reads from memory and hear of each other’s writes first', { skip: postgres.skip }, () => {
  const clock = new ManualClock();
  const warnings = capturingLog('warn');
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let userId: number;

  before(async () => {
    db = await createTestDatabase('postgres');
    a = await startTestServer(db, { clock, log: warnings.log });
    b = await startTestServer(db, { clock });
    userId = await registerAccount(a.server.app, { username: 'pat', password: 'pw-123456' });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('a token read on one node is served from memory there, and a revocation on the other ends it at once', async () => {
    const [nodeA, nodeB] = [a.server.app, b.server.app];
    const token = await issueToken(nodeA, userId, 'test', 3600);
    assert.equal((await findTokenUser(nodeB, token, 'test'))?.username, 'pat');
    // A change no node announces is not seen until the next periodic re-read: proof that B serves from memory.
    await fromOutside(db.env.DATABASE_URL!, 'UPDATE users SET username = $1 WHERE id = $2', ['pat-outside', userId]);
    assert.equal((await findTokenUser(nodeB, token, 'test'))?.username, 'pat', 'served from memory');
    clock.advance(1000);
    assert.equal((await findTokenUser(nodeB, token, 'test'))?.username, 'pat-outside', 'read anew within a second');

    await revokeToken(nodeA, token);
    assert.equal(await findTokenUser(nodeB, token, 'test'), null, 'the revocation on A holds on B as soon as A answered');
    const other = await issueToken(nodeB, userId, 'test', 3600);
    assert.ok(await findTokenUser(nodeA, other, 'test'));
    await revokeUserTokens(nodeB, userId, 'test');
    assert.equal(await findTokenUser(nodeA, other, 'test'), null);
  });

  test('a chat message posted on one node is in the history read on the other at once', async () => {
    await http(a.baseUrl, 'POST', '/api/register', { body: { username: 'quinn', password: 'pw-123456' } });
    const login = await http(a.baseUrl, 'POST', '/api/login', { body: { username: 'quinn', password: 'pw-123456' } });
    const authorization = login.body.token as string;
    const history = async () => (await http(b.baseUrl, 'GET', '/api/chat/history?limit=5', { headers: { authorization } })).body.messages.map((m: { message: string }) => m.message);
    assert.deepEqual(await history(), []);
    for (const message of ['one', 'two', 'three']) {
      const posted = await http(a.baseUrl, 'POST', '/api/chat', { headers: { authorization }, body: { message } });
      assert.equal(posted.status, 200);
      assert.equal((await history()).at(-1), message);
    }
  });

  test('a node that stops confirming delays writes by the bound at most, and is named in a warning', async () => {
    // A node whose connection is open but that never confirms anything (hung).
    const ghost = new pg.Client({ connectionString: db.env.DATABASE_URL! });
    await ghost.connect();
    try {
      await ghost.query(`INSERT INTO cache_nodes (node_id, seen_at, pid) VALUES ('ghost', (extract(epoch from clock_timestamp()) * 1000)::bigint, pg_backend_pid())`);
      const token = await issueToken(a.server.app, userId, 'test', 3600);
      assert.ok(await findTokenUser(b.server.app, token, 'test'));
      const startedAt = performance.now();
      await revokeToken(a.server.app, token);
      assert.ok(performance.now() - startedAt >= 1900, 'the write waited for the ghost until the bound (2 s)');
      assert.equal(await findTokenUser(b.server.app, token, 'test'), null, 'B confirmed; only the ghost was waited for');
      const warning = warnings.lines.find((l) => l.msg.startsWith('nodes did not confirm a cache invalidation'));
      assert.deepEqual(warning?.nodes, ['ghost']);
      await ghost.query(`DELETE FROM cache_nodes WHERE node_id = 'ghost'`);
    } finally {
      await ghost.end();
    }
  });

  test('a node that was killed is not waited for: its connection is gone, though its heartbeat is recent', async () => {
    const dead = new pg.Client({ connectionString: db.env.DATABASE_URL! });
    await dead.connect();
    const { rows } = await dead.query<{ pid: number }>(
      `INSERT INTO cache_nodes (node_id, seen_at, pid) VALUES ('dead', (extract(epoch from clock_timestamp()) * 1000)::bigint, pg_backend_pid()) RETURNING pid`,
    );
    await dead.end();
    const pid = rows[0]!.pid;
    const stillThere = sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`;
    await eventually(async () => (await stillThere.execute(a.server.app.db)).rows[0]!.n === 0, { what: 'the dead connection to be gone' });
    const warned = warnings.lines.length;
    const token = await issueToken(a.server.app, userId, 'test', 3600);
    await revokeToken(a.server.app, token);
    assert.equal(await findTokenUser(b.server.app, token, 'test'), null);
    assert.equal(warnings.lines.length, warned, 'no write waited for the dead node until the bound');
    await fromOutside(db.env.DATABASE_URL!, `DELETE FROM cache_nodes WHERE node_id = 'dead'`);
  });

  test('a node whose invalidation connection is cut reads the database until it is back, then serves from memory again', async () => {
    const token = await issueToken(a.server.app, userId, 'test', 3600);
    const nameOnB = async () => (await findTokenUser(b.server.app, token, 'test'))?.username;
    await fromOutside(db.env.DATABASE_URL!, 'UPDATE users SET username = $1 WHERE id = $2', ['pat', userId]);
    clock.advance(1000);
    assert.equal(await nameOnB(), 'pat');
    await fromOutside(db.env.DATABASE_URL!, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      `stoa cache peers ${b.server.app.nodeId}`,
    ]);
    // Cut off, B cannot hear of writes, so it serves nothing from memory.
    await eventually(
      async () => {
        await fromOutside(db.env.DATABASE_URL!, 'UPDATE users SET username = $1 WHERE id = $2', [`pat-${Math.random()}`, userId]);
        const [row] = await b.server.app.db.selectFrom('users').select('username').where('id', '=', userId).execute();
        return (await nameOnB()) === row!.username;
      },
      { what: 'B to read the database while cut off' },
    );
    // Back (it reconnects by itself within a second or so): memory again.
    await eventually(
      async () => {
        const before = await nameOnB();
        await fromOutside(db.env.DATABASE_URL!, 'UPDATE users SET username = $1 WHERE id = $2', [`pat-${Math.random()}`, userId]);
        return (await nameOnB()) === before;
      },
      { what: 'B to serve from memory again', timeoutMs: 10_000 },
    );
  });
});
