import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { http } from '../support/clients.js';
import { eventually } from '../support/eventually.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** npm, tsx and the migrations on a busy machine: generous, it only bounds a failure. */
const START_TIMEOUT_MS = 90_000;
/** A graceful stop closes sockets and the database; on a busy machine that can take a while. */
const STOP_TIMEOUT_MS = 20_000;

const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** `npm start` in its own process group, with every line it printed and the ports it announced. */
interface NpmStart {
  npm: ChildProcess;
  lines: string[];
  dataDir: string;
  baseUrl: string;
  httpPort: number;
  tcpPort: number;
  exited: Promise<number | null>;
}

/**
 * Runs `npm start` as a supervisor would, on a fresh data folder and free ports, and
 * waits for both listening lines. Whatever is left of its process group is killed when
 * the test ends, so a failing test leaves no server behind.
 */
async function npmStart(t: TestContext, env: Record<string, string> = {}): Promise<NpmStart> {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'stoa-npm-start-')), 'data');
  folders.push(path.dirname(dataDir));
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SOCKET_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => killGroup(npm.pid!));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  for (const stream of [npm.stdout!, npm.stderr!]) readline.createInterface({ input: stream }).on('line', (l) => lines.push(l));
  const what = () => `the listening lines from npm start; printed so far:\n${lines.join('\n')}`;
  const httpLine = await eventually(() => lines.find((l) => l.startsWith('http listening on ')), { timeoutMs: START_TIMEOUT_MS, what: what() });
  const tcpLine = await eventually(() => lines.find((l) => l.startsWith('tcp chat listening on ')), { timeoutMs: START_TIMEOUT_MS, what: what() });
  const baseUrl = httpLine.slice('http listening on '.length);
  return { npm, lines, dataDir, baseUrl, httpPort: Number(new URL(baseUrl).port), tcpPort: Number(tcpLine.split(':').pop()), exited };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/** True once no process of the group is left (npm, and the server it started). */
function groupIsGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch {
    return true;
  }
}

/** A port is free when nothing answers on it and a new server can listen on it. */
async function assertPortFree(port: number): Promise<void> {
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
  assert.ok(refused, `something still answers on port ${port}`);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** After a stop: npm exited 0 (the server closed gracefully), nothing of its group is left, both ports are free. */
async function assertStopped(run: NpmStart, signal: string): Promise<void> {
  const code = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), STOP_TIMEOUT_MS).unref())]);
  assert.equal(code, 0, `npm start after ${signal}:\n${run.lines.join('\n')}`);
  await eventually(() => groupIsGone(run.npm.pid!), { timeoutMs: STOP_TIMEOUT_MS, what: 'every process of npm start to exit' });
  assert.ok(run.lines.includes(`${signal}: shutting down`), run.lines.join('\n'));
  assert.ok(!run.lines.some((l) => l.includes('again: exiting now')), 'one stop request, not two');
  await assertPortFree(run.httpPort);
  await assertPortFree(run.tcpPort);
}

/** The data folder and everything in it, each with its permission bits in octal. */
function entriesUnder(dir: string): Array<{ name: string; folder: boolean; mode: string }> {
  const names = ['.', ...readdirSync(dir, { recursive: true }).map(String)];
  return names.map((name) => {
    const stat = statSync(path.join(dir, name));
    return { name, folder: stat.isDirectory(), mode: (stat.mode & 0o777).toString(8) };
  });
}

describe('npm start', () => {
  test('the first screen says where the console is; SIGTERM to npm stops the server gracefully and frees its ports', async (t) => {
    const run = await npmStart(t);
    assert.ok(run.lines.includes(`console at ${run.baseUrl}/`), run.lines.join('\n'));
    process.kill(run.npm.pid!, 'SIGTERM');
    await assertStopped(run, 'SIGTERM');
  });

  test('SIGINT to npm stops the server gracefully and frees its ports', async (t) => {
    const run = await npmStart(t);
    process.kill(run.npm.pid!, 'SIGINT');
    await assertStopped(run, 'SIGINT');
  });

  test('Ctrl-C in a terminal (SIGINT to npm and the server at once) is one graceful stop', async (t) => {
    const run = await npmStart(t);
    process.kill(-run.npm.pid!, 'SIGINT');
    await assertStopped(run, 'SIGINT');
  });

  test('without a built console the first screen says how to build it', async (t) => {
    const emptyConsole = mkdtempSync(path.join(os.tmpdir(), 'stoa-no-console-'));
    folders.push(emptyConsole);
    const run = await npmStart(t, { CONSOLE_DIR: emptyConsole });
    assert.ok(run.lines.includes(`console not built in ${emptyConsole}: run \`npm run build:console\``), run.lines.join('\n'));
    process.kill(run.npm.pid!, 'SIGTERM');
    await assertStopped(run, 'SIGTERM');
  });

  test('the data folder and every file in it are for the server user only', async (t) => {
    const run = await npmStart(t);
    const res = await http(run.baseUrl, 'POST', '/api/register', { body: { username: 'private', password: 'correct horse 9' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const entries = entriesUnder(run.dataDir);
    const names = entries.map((e) => e.name);
    for (const file of ['stoa.db', 'stoa.db-wal', 'stoa.db-shm', 'jwt-secret']) assert.ok(names.includes(file), `${file} in ${names}`);
    assert.deepEqual(entries.filter((e) => e.mode !== (e.folder ? '700' : '600')), []);
  });
});
