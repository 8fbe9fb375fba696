import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createPostgresSchema, testPostgresUrl } from '../../../test/support/services.js';
import { openDatabase, type OpenDatabase } from './database.js';

const pgUrl = await testPostgresUrl();

describe('PostgreSQL introspection sees only its own schema', { skip: pgUrl ? false : 'PostgreSQL not reachable' }, () => {
  let ours: Awaited<ReturnType<typeof createPostgresSchema>>;
  let theirs: Awaited<ReturnType<typeof createPostgresSchema>>;
  let other: pg.Client;
  let database: OpenDatabase;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-introspect-'));
    ours = await createPostgresSchema(pgUrl!);
    theirs = await createPostgresSchema(pgUrl!);
    other = new pg.Client({ connectionString: theirs.url });
    await other.connect();
    await other.query('create table busy (id serial primary key)');
    database = openDatabase({ databaseUrl: ours.url, dataDir: dir });
    await sql`create table mine (id serial primary key)`.execute(database.db);
  });
  after(async () => {
    await database.close();
    await other.end();
    await ours.drop();
    await theirs.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lists the current schema\'s tables only', async () => {
    const tables = await database.db.introspection.getTables();
    assert.deepEqual(tables.map((t) => t.name), ['mine']);
  });

  test('is not thrown off by another schema renaming its tables meanwhile (other deployments, parallel test runs)', async () => {
    let renaming = true;
    const renames = (async () => {
      for (let i = 0; renaming; i++) await other.query(i % 2 ? 'alter table gone rename to busy' : 'alter table busy rename to gone');
    })();
    try {
      for (let i = 0; i < 100; i++) assert.deepEqual((await database.db.introspection.getTables()).map((t) => t.name), ['mine']);
    } finally {
      renaming = false;
      await renames;
    }
  });
});
