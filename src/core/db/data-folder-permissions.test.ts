import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { startTestServer, type TestDatabase } from '../../../test/support/stoa.js';

const parents: string[] = [];
after(() => parents.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A SQLite test database in `name` under a fresh parent folder; the folder itself is left to the test. */
function sqliteIn(name: string): TestDatabase {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'stoa-modes-'));
  parents.push(parent);
  const dataDir = path.join(parent, name);
  return { dialect: 'sqlite', dataDir, env: { DATA_DIR: dataDir }, drop: async () => {} };
}

/** The data folder and everything in it, each with its permission bits in octal. */
function entriesUnder(dir: string): Array<{ name: string; folder: boolean; mode: string }> {
  const names = ['.', ...readdirSync(dir, { recursive: true }).map(String)];
  return names.map((name) => {
    const stat = statSync(path.join(dir, name));
    return { name, folder: stat.isDirectory(), mode: (stat.mode & 0o777).toString(8) };
  });
}

/** Starts a server on `db`, makes a write while it runs, and returns what the data folder holds then. */
async function entriesAfterAWrite(db: TestDatabase): Promise<ReturnType<typeof entriesUnder>> {
  const srv = await startTestServer(db);
  try {
    const res = await http(srv.baseUrl, 'POST', '/api/register', { body: { username: 'private', password: 'correct horse 9' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return entriesUnder(db.dataDir);
  } finally {
    await srv.stop();
  }
}

describe('the data folder holds hashes, e-mails and phones: the server user alone may read it', () => {
  test('a new folder is 0700 and the database, its log and shared memory and the JWT secret are 0600', async () => {
    const entries = await entriesAfterAWrite(sqliteIn('new/data'));
    const names = entries.map((e) => e.name);
    for (const file of ['stoa.db', 'stoa.db-wal', 'stoa.db-shm', 'jwt-secret']) assert.ok(names.includes(file), `${file} in ${names}`);
    assert.deepEqual(entries.filter((e) => e.mode !== (e.folder ? '700' : '600')), []);
  });

  test('an existing folder open to others is closed to them', async () => {
    const db = sqliteIn('data');
    mkdirSync(db.dataDir);
    chmodSync(db.dataDir, 0o755);
    const entries = await entriesAfterAWrite(db);
    assert.deepEqual(entries.filter((e) => e.mode !== (e.folder ? '700' : '600')), []);
  });
});
