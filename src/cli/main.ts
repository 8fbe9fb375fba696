import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../core/app.js';
import { consoleIsServed } from '../core/http/console-assets.js';
import { loadConfig } from '../config.js';
import { ConfigError } from '../core/config.js';
import { importUsers } from '../core/users/import.js';
import { countUsers, findUserByUsername, listUsers, updateAccessLevel } from '../core/users/user-repo.js';
import { registerAccount } from '../core/users/accounts.js';
import { ProgressBar } from '../lib/progress-bar.js';
import { migrate, startServer, type RunningServer } from '../server.js';
import { isSqliteFile, readSeedChatDatabase, readUsersCsv } from './import-sources.js';

const USAGE = `usage: stoa <command>

  serve                         start every surface (HTTP, TCP chat, /ws)
  migrate                       apply pending database migrations and exit
  user create <name> [--email E] [--phone P] [--level N]
                                create an account; the password is read from stdin
  user list [--limit N]         list accounts
  user set-level <name> <level> set an account's access level
  user import <file> [--clear-text]
                                import a CSV (username,password-or-hash[,avatar]) or the
                                seed chat server's usr.db (clear-text passwords)

Configuration comes from the environment (see README.md).`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function config() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(config());
  try {
    await migrate(app);
    return await fn(app);
  } finally {
    await app.close();
  }
}

/**
 * Within this long a second copy of the same signal is the same request: Ctrl-C in a
 * terminal reaches the server twice, from the terminal and forwarded by `npm start`.
 */
const SAME_SIGNAL_WITHIN_MS = 1000;

async function serve(): Promise<void> {
  const server = await startServer(config());
  for (const line of [...server.announcements, consoleLine(server)]) console.log(line);
  // Last line of defence only: every promise is awaited or caught where it starts (an
  // outage becomes AppError('unavailable')); a stray rejection is logged, not a crash.
  process.on('unhandledRejection', (reason) => server.app.log.error({ err: reason }, 'unhandled promise rejection'));
  stopOnSignals(server);
}

/** Where people find the web console, or how to get one. */
function consoleLine(server: RunningServer): string {
  const dir = server.app.config.consoleDir;
  if (dir === null) return 'console off (CONSOLE_DIR=off)';
  if (!consoleIsServed(server.app)) return `console not built in ${dir}: run \`npm run build:console\``;
  return `console at ${server.httpUrl}/`;
}

/**
 * SIGTERM or SIGINT closes the server gracefully and exits 0, so the ports are free for
 * whatever starts next; another signal later than SAME_SIGNAL_WITHIN_MS exits at once.
 */
function stopOnSignals(server: RunningServer): void {
  let firstAt: { signal: NodeJS.Signals; at: number } | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (firstAt) {
      if (signal === firstAt.signal && Date.now() - firstAt.at < SAME_SIGNAL_WITHIN_MS) return;
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    firstAt = { signal, at: Date.now() };
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        console.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function readPassword(): string {
  const input = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
  if (input.length === 0) fail('the password is read from standard input: echo "secret" | stoa user create NAME');
  return input;
}

async function userCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      phone: { type: 'string' },
      level: { type: 'string' },
      limit: { type: 'string' },
      'clear-text': { type: 'boolean' },
    },
  });
  switch (action) {
    case 'create': {
      const [username] = positionals;
      if (!username) fail(USAGE);
      const password = readPassword();
      await withApp(async (app) => {
        const id = await registerAccount(app, { username, password, email: values.email, phone: values.phone });
        if (values.level) await updateAccessLevel(app.db, id, parseLevel(values.level));
        console.log(`created user ${username} (id ${id})`);
      });
      return;
    }
    case 'list':
      await withApp(async (app) => {
        const users = await listUsers(app.db, { limit: Number(values.limit ?? 100) });
        console.log(['id', 'username', 'email', 'phone', 'level', 'status', 'created'].join('\t'));
        for (const u of users) {
          const created = new Date(u.created_at).toISOString();
          console.log([u.id, u.username, u.email ?? '-', u.phone ?? '-', u.access_level, u.status, created].join('\t'));
        }
        console.log(`${users.length} shown, ${await countUsers(app.db)} in all`);
      });
      return;
    case 'set-level': {
      const [username, level] = positionals;
      if (!username || level === undefined) fail(USAGE);
      await withApp(async (app) => {
        const user = await findUserByUsername(app.db, username);
        if (!user) fail(`no user named ${username}`, 1);
        await updateAccessLevel(app.db, user.id, parseLevel(level));
        console.log(`${username}: access level ${level}`);
      });
      return;
    }
    case 'import': {
      const [file] = positionals;
      if (!file) fail(USAGE);
      const fromSeed = isSqliteFile(file);
      const records = fromSeed ? readSeedChatDatabase(file) : readUsersCsv(file);
      await withApp(async (app) => {
        const bar = new ProgressBar(records.length, 'importing');
        const summary = await importUsers(app, records, {
          secretsAreClearText: fromSeed || Boolean(values['clear-text']),
          onProgress: () => bar.tick(),
        });
        bar.finish();
        console.log(`imported ${summary.imported}, already present ${summary.skippedExisting}, rejected ${summary.rejected.length}`);
        for (const r of summary.rejected) console.log(`  rejected ${JSON.stringify(r.username)}: ${r.reason}`);
      });
      return;
    }
    default:
      fail(USAGE);
  }
}

function parseLevel(text: string): number {
  if (!/^\d{1,3}$/.test(text)) fail(`access level must be a whole number from 0 to 999, got "${text}"`);
  return Number(text);
}

/**
 * Every file and folder the server makes (database, its log, the JWT secret, avatars) is
 * its user's alone: they hold password hashes, e-mail addresses and phone numbers.
 */
const PRIVATE_UMASK = 0o077;

const [command, ...args] = process.argv.slice(2);
process.umask(PRIVATE_UMASK);
try {
  if (command === 'serve') await serve();
  else if (command === 'migrate') {
    const applied = await withApp((app) => migrate(app));
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  } else if (command === 'user') await userCommand(args);
  else fail(USAGE, command === undefined || command === 'help' || command === '--help' ? 0 : 2);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
