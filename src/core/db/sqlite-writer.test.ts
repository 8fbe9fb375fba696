import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type OpenDatabase } from './database.js';

const EXITING_OPERATION = new URL('../../../test/support/exiting-writer-operation.ts', import.meta.url);

describe('SQLite reads on the main connection, writes group-committed on the writer thread', () => {
  let dir: string;
  let database: OpenDatabase;
  let db: Kysely<any>;
  const deaths: Error[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-writer-'));
    database = openDatabase({ databaseUrl: null, dataDir: dir, onWriterDeath: (err) => deaths.push(err) });
    db = database.db;
    await sql`create table notes (id integer primary key, body text not null unique)`.execute(db);
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bodies = async () => (await db.selectFrom('notes').select('body').orderBy('id').execute()).map((r) => r.body as string);

  test('concurrent writes share commits, and each resolves after the commit holding it', async () => {
    const writer = database.sqliteWriter!;
    const before = { ...writer.stats };
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => db.insertInto('notes').values({ body: `n${i}` }).returning('id').executeTakeFirstOrThrow()),
    );
    assert.equal(new Set(ids.map((r) => r.id)).size, 300);
    const commits = writer.stats.commits - before.commits;
    assert.equal(writer.stats.committedUnits - before.committedUnits, 300);
    assert.ok(commits >= 1 && commits < 30, `300 concurrent inserts took ${commits} commits`);
    // Acknowledged means committed: the main connection, which only reads, sees them all.
    assert.equal((await bodies()).length, 300);
  });

  test('a failing statement fails alone; the writes queued beside it commit', async () => {
    const results = await Promise.allSettled([
      db.insertInto('notes').values({ body: 'beside-1' }).execute(),
      db.insertInto('notes').values({ body: 'n0' }).execute(),
      db.insertInto('notes').values({ body: 'beside-2' }).execute(),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(((results[1] as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.ok((await bodies()).includes('beside-2'));
  });

  test('a write refused because of another in its group hears so only once that one is committed', async () => {
    for (let i = 0; i < 10; i++) {
      const body = `race-${i}`;
      const attempts = [0, 1].map(() =>
        db
          .insertInto('notes')
          .values({ body })
          .execute()
          .then(
            () => 'stored',
            async () => (await db.selectFrom('notes').select('body').where('body', '=', body).execute()).length,
          ),
      );
      assert.deepEqual((await Promise.all(attempts)).sort(), [1, 'stored'], 'the loser reads the winner');
    }
  });

  test('a transaction runs alone: reads never wait for it nor see it before its commit; others queue behind it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let wrote!: () => void;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    let queuedDone = false;
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ body: 'in-tx' }).execute();
      const inside = await trx.selectFrom('notes').select('body').where('body', '=', 'in-tx').execute();
      assert.equal(inside.length, 1, 'the transaction reads its own write');
      wrote();
      await held;
    });
    await written;
    const queued = db.insertInto('notes').values({ body: 'after-tx' }).execute().then(() => (queuedDone = true));
    assert.equal((await bodies()).includes('in-tx'), false, 'a read on the main connection sees only committed rows');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(queuedDone, false, 'a write waits for the open transaction');
    release();
    await tx;
    await queued;
    const all = await bodies();
    assert.ok(all.indexOf('in-tx') < all.indexOf('after-tx'));
  });

  test('a rolled-back transaction leaves nothing behind', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ body: 'undone' }).execute();
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    await db.insertInto('notes').values({ body: 'after-rollback' }).execute();
    const all = await bodies();
    assert.equal(all.includes('undone'), false);
    assert.ok(all.includes('after-rollback'));
  });

  test('the database and its log are readable by the server\'s user only', () => {
    for (const suffix of ['', '-wal', '-shm']) assert.equal(statSync(path.join(dir, `stoa.db${suffix}`)).mode & 0o777, 0o600, `stoa.db${suffix}`);
  });

  test('a writer thread that dies fails what it held; the next write starts another', async () => {
    const writer = database.sqliteWriter!;
    await assert.rejects(writer.operation(EXITING_OPERATION, null, 1), /exited/);
    assert.equal(deaths.length, 1);
    await db.insertInto('notes').values({ body: 'after-death' }).execute();
    assert.ok((await bodies()).includes('after-death'));
  });
});
