import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createPostgresSchema, testPostgresUrl } from '../../../test/support/services.js';
import { openDatabase, type OpenDatabase } from './database.js';
import { committedVersion, PreparedQuery } from './prepared-query.js';
import { AnswerCache } from './answer-cache.js';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { ManualClock } from '../../lib/clock.js';

const notesAbove = new PreparedQuery<{ id: number; body: string }, [minId: number]>(1, (db, minId) =>
  db.selectFrom('notes').select(['id', 'body']).where('id', '>', minId as number).orderBy('id'),
);
const noteByBody = new PreparedQuery<{ id: number; body: string }, [body: string]>(
  1,
  (db, body) => db.selectFrom('notes').select(['id', 'body']).where('body', '=', body as string),
  { reuseWhileUnchanged: true },
);
const insertNote = new PreparedQuery<{ id: number }, [body: string]>(1, (db, body) =>
  db.insertInto('notes').values({ body: body as string }).returning('id'),
);

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`PreparedQuery on ${dialect}`, async () => {
    const pgUrl = dialect === 'postgres' ? await testPostgresUrl() : null;
    const skip = dialect === 'postgres' && !pgUrl ? 'PostgreSQL not reachable' : false;
    let dir: string;
    let database: OpenDatabase;
    let db: Kysely<any>;
    let dropSchema = async () => {};
    let schemaUrl: string | null = null;
    const clock = new ManualClock();

    before(async () => {
      if (skip) return;
      dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-prepared-'));
      let databaseUrl: string | null = null;
      if (dialect === 'postgres') {
        const schema = await createPostgresSchema(pgUrl!);
        databaseUrl = schemaUrl = schema.url;
        dropSchema = schema.drop;
      }
      // As one node without Redis opens it: on PostgreSQL, this process is the only writer.
      database = openDatabase({ databaseUrl, dataDir: dir, soleWriter: { clock, outsideWritesWithinMs: 1000 } });
      db = database.db;
      const id = dialect === 'sqlite' ? sql`id integer primary key` : sql`id serial primary key`;
      await sql`create table notes (${id}, body text not null unique)`.execute(db);
      await sql`create table tags (${id}, name text not null)`.execute(db);
    });
    after(async () => {
      if (skip) return;
      await database.close();
      await dropSchema();
      rmSync(dir, { recursive: true, force: true });
    });

    test('runs with fresh values each time, and reads what was committed before it', { skip }, async () => {
      const [first] = await insertNote.run(db, 'alpha');
      assert.deepEqual(await notesAbove.run(db, 0), [{ id: first!.id, body: 'alpha' }]);
      const [second] = await insertNote.run(db, 'beta');
      assert.deepEqual((await notesAbove.run(db, first!.id)).map((r) => r.body), ['beta']);
      assert.equal(second!.id > first!.id, true);
      assert.deepEqual(await notesAbove.run(db, second!.id), []);
    });

    test('inside a transaction it reads the transaction\'s own writes, and nothing of a rolled-back one remains', { skip }, async () => {
      const before = (await notesAbove.run(db, 0)).length;
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await insertNote.run(trx, 'inside');
          assert.deepEqual((await notesAbove.run(trx, 0)).map((r) => r.body).slice(-1), ['inside']);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal((await notesAbove.run(db, 0)).length, before);
      assert.equal((await notesAbove.run(db, 0)).some((r) => r.body === 'inside'), false);
    });

    test('a write through a prepared query is refused as the database refuses it', { skip }, async () => {
      await insertNote.run(db, 'unique-once');
      await assert.rejects(insertNote.run(db, 'unique-once'), (err: { code?: string }) =>
        err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_UNIQUE',
      );
    });

    test('a reusing query sees every commit at once: its own handle\'s, and another connection\'s (another process, as the CLI)', { skip }, async () => {
      await insertNote.run(db, 'reused');
      const [first] = await noteByBody.run(db, 'reused');
      assert.equal(first!.body, 'reused');
      first!.body = 'changed by the caller';
      assert.equal((await noteByBody.run(db, 'reused'))[0]!.body, 'reused', 'each caller gets its own copy');

      await db.updateTable('notes').set({ body: 'renamed' }).where('id', '=', first!.id).execute();
      assert.deepEqual(await noteByBody.run(db, 'reused'), []);
      assert.equal((await noteByBody.run(db, 'renamed'))[0]!.id, first!.id);

      if (dialect === 'sqlite') {
        // Another connection's commit (a `stoa user` command, another node on the same file) is seen at once too.
        const before = committedVersion(db);
        assert.equal(committedVersion(db), before, 'nothing committed, nothing moved');
        const other = new SqliteDatabase(path.join(dir, 'stoa.db'));
        other.pragma('busy_timeout = 5000');
        other.prepare('update notes set body = ? where id = ?').run('outside', first!.id);
        other.close();
        assert.notEqual(committedVersion(db), before);
        assert.deepEqual(await noteByBody.run(db, 'renamed'), []);
        assert.equal((await noteByBody.run(db, 'outside'))[0]!.id, first!.id);
      } else {
        // A change from outside this process (a `stoa user` command, psql) is seen within the stated time.
        const other = new pg.Client({ connectionString: schemaUrl! });
        await other.connect();
        await other.query('update notes set body = $1 where id = $2', ['outside', first!.id]);
        await other.end();
        assert.equal((await noteByBody.run(db, 'renamed'))[0]!.id, first!.id, 'served again until the time is up');
        clock.advance(999);
        assert.equal((await noteByBody.run(db, 'renamed')).length, 1);
        clock.advance(1);
        assert.deepEqual(await noteByBody.run(db, 'renamed'), []);
        assert.equal((await noteByBody.run(db, 'outside'))[0]!.id, first!.id);
      }
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('notes').set({ body: 'in a transaction' }).where('id', '=', first!.id).execute();
        assert.equal(committedVersion(trx), null, 'a transaction never reuses');
        assert.equal((await noteByBody.run(trx, 'in a transaction'))[0]!.id, first!.id);
      });
      assert.deepEqual(await noteByBody.run(db, 'outside'), [], 'the commit is seen at once');
      assert.equal((await noteByBody.run(db, 'in a transaction'))[0]!.id, first!.id);
    });

    if (dialect === 'postgres') test('on PostgreSQL written by this node alone, a table\'s version moves with writes to it, deletes and transaction ends', { skip }, async () => {
      const notes = () => committedVersion(db, ['notes']);
      let before = notes();
      await db.insertInto('tags').values({ name: 'a' }).execute();
      await db.updateTable('tags').set({ name: 'b' }).execute();
      assert.equal(notes(), before, 'writes to another table leave it');
      await db.insertInto('notes').values({ body: 'versioned' }).execute();
      assert.notEqual(notes(), before, 'an insert moves it');
      before = notes();
      await db.deleteFrom('tags').execute();
      assert.notEqual(notes(), before, 'any delete moves every table (cascades)');
      before = notes();
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('tags').values({ name: 'c' }).execute();
        await trx.updateTable('notes').set({ body: 'versioned again' }).where('body', '=', 'versioned').execute();
        const inside = notes();
        assert.notEqual(inside, before);
        before = inside;
      });
      assert.notEqual(notes(), before, 'the commit moves what the transaction wrote again');
      const tagsBefore = committedVersion(db, ['tags']);
      assert.notEqual(committedVersion(db), null);
      clock.advance(1000);
      assert.notEqual(committedVersion(db, ['tags']), tagsBefore, 'every table moves when the time for outside changes is up');
    });

    if (dialect === 'postgres') test('on PostgreSQL shared by several nodes nothing is reused: every run reads', { skip }, async () => {
      const shared = openDatabase({ databaseUrl: schemaUrl, dataDir: dir });
      try {
        assert.equal(committedVersion(shared.db), null);
        const [row] = await insertNote.run(shared.db, 'shared');
        assert.equal((await noteByBody.run(shared.db, 'shared'))[0]!.id, row!.id);
        const other = new pg.Client({ connectionString: schemaUrl! });
        await other.connect();
        await other.query('update notes set body = $1 where id = $2', ['from another node', row!.id]);
        await other.end();
        assert.deepEqual(await noteByBody.run(shared.db, 'shared'), []);
      } finally {
        await shared.close();
      }
    });

    test('an answer cache serves an answer until a commit ends it; without a version, until its freshness rule does', { skip }, async () => {
      const cache = new AnswerCache(['notes']);
      let builds = 0;
      let mark = 1;
      const freshness = { mark: async () => mark, maxAgeMs: 1000 };
      const answerOn = (handle: Kysely<any>, now: number) => cache.get(handle, 'k', now, async () => `answer ${++builds}`, freshness);
      const answer = (now: number) => answerOn(db, now);
      assert.equal(await answer(0), 'answer 1');
      assert.equal(await answer(10), 'answer 1');
      await insertNote.run(db, `cache-${builds}`);
      assert.equal(await answer(20), 'answer 2', 'a commit ends it');
      assert.equal(await answer(5000), 'answer 2', 'no commit, no end, whatever the time given');
      cache.forget(db);
      assert.equal(await answer(6000), 'answer 3');
      assert.equal(builds, 3);
      if (dialect === 'postgres') {
        const shared = openDatabase({ databaseUrl: schemaUrl, dataDir: dir });
        try {
          assert.equal(await answerOn(shared.db, 0), 'answer 4');
          assert.equal(await answerOn(shared.db, 20), 'answer 4', 'the mark has not moved');
          mark = 2;
          assert.equal(await answerOn(shared.db, 30), 'answer 5', 'the mark moved');
          assert.equal(await answerOn(shared.db, 1029), 'answer 5');
          assert.equal(await answerOn(shared.db, 1030), 'answer 6', 'at most maxAgeMs');
        } finally {
          await shared.close();
        }
      }
    });
  });
}
