import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createPostgresSchema, testPostgresUrl } from '../../../test/support/services.js';
import { AppError } from '../errors.js';
import { BatchedInsert } from './batched-insert.js';
import { openDatabase, type OpenDatabase } from './database.js';

interface Line {
  body: string;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`BatchedInsert on ${dialect}`, async () => {
    const pgUrl = dialect === 'postgres' ? await testPostgresUrl() : null;
    const skip = dialect === 'postgres' && !pgUrl ? 'PostgreSQL not reachable' : false;
    let dir: string;
    let database: OpenDatabase;
    let db: Kysely<any>;
    let dropSchema = async () => {};
    /** The size of every statement the batcher ran. */
    const statements: number[] = [];
    const lines = new BatchedInsert<Line>(async (handle, rows) => {
      statements.push(rows.length);
      const inserted = await handle.insertInto('lines').values(rows).returning('id').execute();
      return inserted.map((row: { id: number }) => row.id);
    });

    before(async () => {
      if (skip) return;
      dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-batched-'));
      let databaseUrl: string | null = null;
      if (dialect === 'postgres') {
        const schema = await createPostgresSchema(pgUrl!);
        databaseUrl = schema.url;
        dropSchema = schema.drop;
      }
      database = openDatabase({ databaseUrl, dataDir: dir });
      db = database.db;
      const id = dialect === 'sqlite' ? sql`id integer primary key` : sql`id serial primary key`;
      await sql`create table lines (${id}, body text not null check (body <> 'refused'))`.execute(db);
    });
    after(async () => {
      if (skip) return;
      await database.close();
      await dropSchema();
      rmSync(dir, { recursive: true, force: true });
    });

    const bodyOf = async (id: number) => (await db.selectFrom('lines').select('body').where('id', '=', id).executeTakeFirst())?.body;

    test('a row alone goes at once; rows offered together share statements, and each gets its own id once stored', { skip }, async () => {
      statements.length = 0;
      const alone = await lines.insert(db, { body: 'alone' });
      assert.deepEqual(statements, [1]);
      assert.equal(await bodyOf(alone), 'alone');

      statements.length = 0;
      const bodies = Array.from({ length: 40 }, (_, i) => `together-${i}`);
      const ids = await Promise.all(bodies.map((body) => lines.insert(db, { body })));
      assert.equal(new Set(ids).size, 40);
      for (const [i, id] of ids.entries()) assert.equal(await bodyOf(id), bodies[i], `row ${i} got its own id`);
      assert.equal(statements.reduce((a, b) => a + b, 0), 40);
      assert.ok(statements.length <= 3, `40 rows in ${statements.length} statements`);
    });

    test('a refused row fails alone; the rows beside it are stored', { skip }, async () => {
      const offered = ['fine-1', 'refused', 'fine-2', 'fine-3'].map((body) => lines.insert(db, { body }));
      const results = await Promise.allSettled(offered);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      for (const [i, body] of ['fine-1', undefined, 'fine-2', 'fine-3'].entries()) {
        const result = results[i]!;
        if (result.status === 'fulfilled') assert.equal(await bodyOf(result.value), body);
      }
    });

    test('an outage fails every row waiting, each with the unavailable error, and the next rows go again', { skip }, async () => {
      let tries = 0;
      const down = new BatchedInsert<Line>(async () => {
        tries++;
        throw new AppError('unavailable', 'database unavailable');
      }, { maxRows: 500, maxInFlight: 1 });
      const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((body) => down.insert(db, { body })));
      assert.deepEqual(results.map((r) => r.status === 'rejected' && (r.reason as AppError).code), Array(4).fill('unavailable'));
      assert.equal(tries, 2, "'a' alone, then the three that waited together; no row tried again alone");
      const id = await lines.insert(db, { body: 'after' });
      assert.equal(await bodyOf(id), 'after');
    });
  });
}
