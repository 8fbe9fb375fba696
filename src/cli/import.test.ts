import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pbkdf2Sync, scryptSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { http } from '../../test/support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../test/support/stoa.js';
import { md5Hex } from '../lib/crypto.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the real command line (`stoa ...`) in a child process against `dataDir`. */
function stoa(dataDir: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** Reads `users` straight from the SQLite file, as an operator would. */
function storedUsers(dataDir: string): Map<string, { password_hash: string | null; avatar: string | null; access_level: number; email: string | null }> {
  const db = new SqliteDatabase(path.join(dataDir, 'stoa.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT username, password_hash, avatar, access_level, email FROM users').all() as Array<{
      username: string;
      password_hash: string | null;
      avatar: string | null;
      access_level: number;
      email: string | null;
    }>;
    return new Map(rows.map(({ username, ...rest }) => [username, rest]));
  } finally {
    db.close();
  }
}

async function login(server: TestServer, username: string, password: string): Promise<{ status: number; body: any }> {
  return http(server.baseUrl, 'POST', '/api/login', { body: { username, password } });
}

/** The argon2id form the CLI writes with the cheap test parameters. */
const CHEAP_ARGON2 = /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/;

describe('stoa user import: the seed chat server’s usr.db', () => {
  let db: TestDatabase;
  let server: TestServer | undefined;
  const seed = {
    alice: { passwd: 'alice-pw', avatar: 'alice.png' },
    bob: { passwd: 'hunter2', avatar: 'default_avatar.png' },
    carol: { passwd: 'çäröl 密码', avatar: null },
    // Clear text that happens to look like an MD5 digest: the seed stores clear text only.
    dave: { passwd: md5Hex('something'), avatar: 'd.jpg' },
  };

  before(async () => {
    db = await createTestDatabase('sqlite');
  });
  after(async () => {
    await server?.stop();
    await db.drop();
  });

  test('imports every user with an argon2id hash, and each can log in', { timeout: 120_000 }, async () => {
    const file = path.join(db.dataDir, 'usr.db');
    const legacy = new SqliteDatabase(file);
    legacy.exec('CREATE TABLE users(name TEXT PRIMARY KEY, passwd TEXT, avatar TEXT)');
    const insert = legacy.prepare('INSERT INTO users(name, passwd, avatar) VALUES (?, ?, ?)');
    for (const [name, row] of Object.entries(seed)) insert.run(name, row.passwd, row.avatar);
    legacy.close();

    const run = await stoa(db.dataDir, ['user', 'import', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^imported 4, already present 0, rejected 0$/m);
    assert.match(run.stderr, /importing \[#{30}\] 4\/4 100%/);

    const stored = storedUsers(db.dataDir);
    assert.deepEqual([...stored.keys()].sort(), Object.keys(seed));
    for (const [name, row] of Object.entries(seed)) {
      const hash = stored.get(name)!.password_hash!;
      assert.match(hash, CHEAP_ARGON2, `${name}: ${hash}`);
      assert.ok(!hash.includes(row.passwd), `${name}'s clear-text password is not stored`);
    }
    assert.equal(stored.get('alice')!.avatar, 'alice.png');
    assert.equal(stored.get('bob')!.avatar, null, 'the seed’s default avatar becomes no avatar');

    server = await startTestServer(db);
    for (const [name, row] of Object.entries(seed)) {
      const ok = await login(server, name, row.passwd);
      assert.equal(ok.status, 200, `${name}: ${JSON.stringify(ok.body)}`);
      assert.equal(ok.body.type, 'login_1');
      assert.equal((await login(server, name, `${row.passwd}x`)).status, 401);
    }
    assert.equal((await login(server, 'alice', 'alice-pw')).body.avatar, '/avatar/alice/alice.png');
    assert.equal((await login(server, 'bob', 'hunter2')).body.avatar, '/avatar/default/default_avatar.png');
  });
});

describe('stoa user import: a CSV of clear text and legacy hashes', () => {
  let db: TestDatabase;
  let server: TestServer | undefined;
  const passwords = { erin: 'erin-pw', frank: 'frank-pw', grace: 'grace-pw', heidi: 'heidi-pw' };

  before(async () => {
    db = await createTestDatabase('sqlite');
  });
  after(async () => {
    await server?.stop();
    await db.drop();
  });

  test('clear text, MD5 and Werkzeug rows all log in; legacy hashes become argon2id at login', { timeout: 120_000 }, async () => {
    const werkzeug = `pbkdf2:sha256:1000$Sa1tSalt$${pbkdf2Sync(passwords.grace, 'Sa1tSalt', 1000, 32, 'sha256').toString('hex')}`;
    const werkzeugScrypt = `scrypt:1024:8:1$Sa1t$${scryptSync(passwords.heidi, 'Sa1t', 64, { N: 1024, r: 8, p: 1 }).toString('hex')}`;
    const file = path.join(db.dataDir, 'users.csv');
    writeFileSync(
      file,
      [
        'username,password,avatar',
        `erin,${passwords.erin},erin.png`,
        `frank,${md5Hex(passwords.frank)}`,
        `grace,${werkzeug}`,
        `heidi,${werkzeugScrypt}`,
        'ivan,',
        '',
      ].join('\n'),
    );

    const first = await stoa(db.dataDir, ['user', 'import', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^imported 4, already present 0, rejected 1$/m);
    assert.match(first.stdout, /rejected "ivan": empty password/);
    assert.equal(first.stderr.match(/importing \[#{30}\] 5\/5 100%\n/g)?.length, 1, first.stderr);

    const before = storedUsers(db.dataDir);
    assert.match(before.get('erin')!.password_hash!, CHEAP_ARGON2);
    assert.equal(before.get('erin')!.avatar, 'erin.png');
    assert.match(before.get('frank')!.password_hash!, /^md5-argon2id\$\$argon2id\$/, 'the MD5 is wrapped, not kept');
    assert.ok(!before.get('frank')!.password_hash!.includes(md5Hex(passwords.frank)));
    assert.equal(before.get('grace')!.password_hash, werkzeug, 'a Werkzeug hash is kept until the next login');
    assert.equal(before.get('heidi')!.password_hash, werkzeugScrypt);
    assert.equal(before.has('ivan'), false);

    server = await startTestServer(db);
    for (const [name, password] of Object.entries(passwords)) {
      assert.equal((await login(server, name, 'wrong')).status, 401, name);
      const ok = await login(server, name, password);
      assert.equal(ok.status, 200, `${name}: ${JSON.stringify(ok.body)}`);
    }
    const afterLogin = storedUsers(db.dataDir);
    for (const name of Object.keys(passwords)) assert.match(afterLogin.get(name)!.password_hash!, CHEAP_ARGON2, name);
    for (const [name, password] of Object.entries(passwords)) {
      assert.equal((await login(server, name, password)).status, 200, `${name} logs in again with the new hash`);
    }

    const again = await stoa(db.dataDir, ['user', 'import', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^imported 0, already present 4, rejected 1$/m);
    assert.deepEqual(storedUsers(db.dataDir).get('erin'), afterLogin.get('erin'), 'existing users are left untouched');
  });

  test('--clear-text hashes every value, even one that looks like a hash', { timeout: 60_000 }, async () => {
    const file = path.join(db.dataDir, 'clear.csv');
    writeFileSync(file, `judy,${md5Hex('x')}\n`);
    const run = await stoa(db.dataDir, ['user', 'import', file, '--clear-text']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^imported 1, already present 0, rejected 0$/m);
    assert.match(storedUsers(db.dataDir).get('judy')!.password_hash!, CHEAP_ARGON2);
  });
});

describe('stoa user create, list and set-level', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase('sqlite');
  });
  after(async () => {
    await db.drop();
  });

  test('create reads the password from stdin; list shows the user; set-level changes the level', { timeout: 120_000 }, async () => {
    const created = await stoa(db.dataDir, ['user', 'create', 'mallory', '--email', 'Mallory@Example.com', '--level', '3'], 'open sesame\n');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created user mallory \(id \d+\)$/m);
    const stored = storedUsers(db.dataDir).get('mallory')!;
    assert.match(stored.password_hash!, CHEAP_ARGON2);
    assert.equal(stored.email, 'mallory@example.com');
    assert.equal(stored.access_level, 3);

    const duplicate = await stoa(db.dataDir, ['user', 'create', 'mallory'], 'other\n');
    assert.equal(duplicate.code, 1);
    const noPassword = await stoa(db.dataDir, ['user', 'create', 'trent'], '');
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /password is read from standard input/);

    const list = await stoa(db.dataDir, ['user', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines[0], 'id\tusername\temail\tphone\tlevel\tstatus\tcreated');
    assert.match(lines[1]!, /^\d+\tmallory\tmallory@example\.com\t-\t3\tactive\t\d{4}-\d\d-\d\dT/);
    assert.equal(lines.at(-1), '1 shown, 1 in all');

    const setLevel = await stoa(db.dataDir, ['user', 'set-level', 'mallory', '7']);
    assert.equal(setLevel.code, 0, setLevel.stderr);
    assert.match(setLevel.stdout, /^mallory: access level 7$/m);
    assert.equal(storedUsers(db.dataDir).get('mallory')!.access_level, 7);

    const unknown = await stoa(db.dataDir, ['user', 'set-level', 'nobody', '1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no user named nobody/);
    const badLevel = await stoa(db.dataDir, ['user', 'set-level', 'mallory', 'high']);
    assert.equal(badLevel.code, 2);

    const server = await startTestServer(db);
    try {
      const ok = await login(server, 'mallory', 'open sesame');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    } finally {
      await server.stop();
    }
  });
});
