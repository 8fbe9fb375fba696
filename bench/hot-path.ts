/**
 * Signed-in hot-path bench (a script, not a test): request throughput and p99 latency of the
 * calls a signed-in client makes most, on Stoa and on two references measured in the same run:
 *
 *   bare            a bare `node:http` server answering a small JSON (bench/lib/bare-json-server.ts):
 *                   the HTTP ceiling of this machine with this client;
 *   ref-history     a ~60-line durable chat server, `node:http` + better-sqlite3 (WAL,
 *   ref-chat        synchronous=FULL; bench/lib/durable-chat-reference.ts): `GET /history` = token
 *                   lookup by SHA-256 + last 20 messages, `POST /chat` = token lookup + one
 *                   committed INSERT per POST;
 *   <db>-chat-post      Stoa `POST /api/chat` (`Authorization: <chat token>`);
 *   <db>-chat-history   Stoa `GET /api/chat/history?limit=20`;
 *   <db>-study          Stoa `GET /api/v1.0/studys` (Basic auth, study token as user name);
 *   <db>-live-watch     Stoa `POST /user/watch` (viewer heartbeat, web JWT, on a live stream);
 *   <db>-monitor-access Stoa `GET /user/access_right` (`Authorization: JWT <t>`);
 *   <db>-ihome-session  Stoa `GET /api/v1.0/session` (iHome session cookie);
 * with <db> = sqlite (a fresh DATA_DIR in a temp dir), pg (a fresh schema in db `test`,
 * BENCH_DATABASE_URL to use another, shared with a second, idle Stoa node as a cluster would
 * share it: the measured node serves hot reads from memory, and each of its writes to what
 * they read waits until the other node confirms it dropped them; see docs/cluster.md) and
 * pg1 (alone on its schema, DATABASE_SINGLE_NODE=true: no node to tell). Stoa runs as `npm start` runs it (same node flags),
 * HTTP only (SOCKET_PORT=-1), LOG_LEVEL=error; its users are made through its public HTTP
 * API (bench/lib/stoa-accounts.ts), one per connection, and their tokens are sent in turn
 * (request i carries user i mod N), so no user goes over a per-user limit faster than the
 * others. Changed from the server defaults, and printed with the results:
 * CHAT_MESSAGES_PER_MINUTE (120 per user would refuse most chat POSTs), WEB_JWT_TTL_S (300 s
 * is shorter than the run) and cheap argon2 (only sign-up and login use it, not these calls).
 *
 * Load: `wrk` (Debian: `apt-get install wrk`), 1 thread, --connections keep-alive connections,
 * --seconds per phase, `--latency` for p99. Each answer must be 2xx and carry the text the
 * call answers on success (the iHome session check answers 200 with an error code when the
 * cookie is not valid); anything else is counted as failed and shown in the table. Every phase
 * gets a 2 s warm-up, then all phases run --repeat times interleaved (A B C ... A B C ...) so
 * drift of this machine hits every row alike; the table quotes the median req/s and the median
 * p99. All servers run at once (idle but for the phase under load).
 * Goals, each Stoa row against the references of the same run: signed-in GETs and the watch
 * heartbeat >= 0.25 x bare node:http; POST /api/chat >= 0.8 x the durable reference's POST;
 * p99 < 50 ms at 50 connections; no failures.
 *
 * Usage: npm run bench:hot-path -- [--seconds 5] [--repeat 3] [--connections 50] [--skip-pg]
 *                                  [--only bare,ref-chat,sqlite-chat-post,...]
 * `--only` takes row names (above); the reference rows a chosen row is compared with are added.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadJob } from './lib/http-load-worker.js';
import { killWrkRuns, runWrkLoad, wrkAvailable, type WrkResult } from './lib/http-load-wrk.js';
import { killAllServers, startHttpChild, startIngestServer, type ServerChild } from './lib/ingest-server.js';
import { BENCH_PG_BASE, createPgSchema, pgReachable, type PgSchema } from './lib/pg-schema.js';
import { endedChildrenCpuMs, machineBusyMs, sampleProcess } from './lib/proc-stats.js';
import { createStoaUsers, probe, type StoaUsers } from './lib/stoa-accounts.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const WRK_THREADS = 1;
const WARMUP_S = 2;
const P99_GOAL_MS = 50;
const GET_GOAL = 0.25;
const POST_GOAL = 0.8;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a whole number above 0`);
  return value;
}
const seconds = flag('seconds', 5);
const repeat = flag('repeat', 3);
const connections = flag('connections', 50);
const skipPgFlag = process.argv.includes('--skip-pg');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',').map((s) => s.trim()).filter(Boolean) : null;
const log = (line: string) => console.log(line);

/** Environment changed from Stoa's defaults for the bench, printed with the results. */
const STOA_BENCH_ENV: Record<string, string> = {
  CHAT_MESSAGES_PER_MINUTE: '10000000',
  WEB_JWT_TTL_S: '86400',
  ARGON2_MEMORY_KIB: '64',
  ARGON2_TIME_COST: '1',
};

// ---- children, temp dirs and schemas: cleaned up on every way out ----
const tempDirs = new Set<string>();
const schemas = new Set<PgSchema>();
/** Set once a signal or an error ends the run: the failures of what is being torn down are expected then. */
let stopping = false;
function cleanUpNow(): void {
  killWrkRuns();
  killAllServers();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
/** Kills every child, removes temp dirs and drops the PostgreSQL schemas (3 s at most), then exits. */
function stopAndExit(code: number): void {
  if (stopping) return;
  stopping = true;
  cleanUpNow();
  const drops = [...schemas].map((s) => s.drop().catch(() => undefined));
  const timer = setTimeout(() => process.exit(code), 3000);
  void Promise.all(drops).finally(() => (clearTimeout(timer), process.exit(code)));
}
process.on('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stopAndExit(130));
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// ---- the rows ----
type ServerKey = 'bare' | 'ref' | 'sqlite' | 'pg' | 'pg1';
type StoaKey = 'sqlite' | 'pg' | 'pg1';
const STOA_LABELS: Record<StoaKey, string> = { sqlite: 'SQLite', pg: 'PG', pg1: 'PG 1 node' };
type Goal = 'baseline' | 'get' | 'post';
interface RowSpec {
  name: string;
  server: ServerKey;
  call: string;
  goal: Goal;
  /** The row this one is compared with. */
  against: string | null;
}
/** One measured phase: wrk's figures and who used the CPU meanwhile. */
interface Phase extends WrkResult {
  /** Server process CPU per answered request, in µs. */
  serverUsPerRequest: number;
  /** CPU used by neither the server, wrk nor this script, in % of the whole machine. */
  otherPct: number;
}
interface RowRun extends RowSpec {
  job: LoadJob | null;
  pid: number | undefined;
  /** Why the row could not run (a setup or probe failure), else null. */
  blocked: string | null;
  results: Phase[];
}

/**
 * Runs one phase and reads from /proc the server's CPU time, wrk's (it is a reaped child
 * of this process when it returns), this script's and the whole machine's, so a phase that
 * shared the cores with something else shows it.
 */
async function measuredRun(job: LoadJob, pid: number | undefined): Promise<Phase> {
  const cores = os.cpus().length;
  const before = { server: pid === undefined ? null : sampleProcess(pid), wrk: endedChildrenCpuMs(), self: process.cpuUsage(), machine: machineBusyMs(), at: performance.now() };
  const r = await runWrkLoad(job, WRK_THREADS);
  const server = pid === undefined ? null : sampleProcess(pid);
  const serverMs = server && before.server ? server.cpuMs - before.server.cpuMs : NaN;
  const self = process.cpuUsage(before.self);
  const otherMs = machineBusyMs() - before.machine - serverMs - (endedChildrenCpuMs() - before.wrk) - (self.user + self.system) / 1000;
  const wallMs = performance.now() - before.at;
  const answered = r.ok + r.failed;
  return { ...r, serverUsPerRequest: answered > 0 ? (serverMs * 1000) / answered : NaN, otherPct: (Math.max(0, otherMs) / (wallMs * cores)) * 100 };
}

const SURFACE_ROWS: Array<{ suffix: string; call: string; goal: Goal }> = [
  { suffix: 'chat-post', call: 'chat POST /api/chat', goal: 'post' },
  { suffix: 'chat-history', call: 'chat GET /api/chat/history?limit=20', goal: 'get' },
  { suffix: 'study', call: 'study GET /api/v1.0/studys', goal: 'get' },
  { suffix: 'live-watch', call: 'live POST /user/watch (heartbeat)', goal: 'get' },
  { suffix: 'monitor-access', call: 'monitor GET /user/access_right', goal: 'get' },
  { suffix: 'ihome-session', call: 'verify GET /api/v1.0/session (iHome)', goal: 'get' },
];
const ALL_ROWS: RowSpec[] = [
  { name: 'bare', server: 'bare', call: 'bare node:http, small JSON', goal: 'baseline', against: null },
  { name: 'ref-history', server: 'ref', call: 'durable ref GET /history (last 20)', goal: 'baseline', against: 'bare' },
  { name: 'ref-chat', server: 'ref', call: 'durable ref POST /chat (1 commit)', goal: 'baseline', against: 'bare' },
  ...(['sqlite', 'pg', 'pg1'] as const).flatMap((db) =>
    SURFACE_ROWS.map((r) => ({ name: `${db}-${r.suffix}`, server: db, call: `${STOA_LABELS[db]} ${r.call}`, goal: r.goal, against: r.goal === 'post' ? 'ref-chat' : 'bare' })),
  ),
];

function chooseRows(pgWanted: boolean): RowSpec[] {
  const known = new Set(ALL_ROWS.map((r) => r.name));
  const unknown = (only ?? []).filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`--only: unknown row(s) ${unknown.join(', ')}; rows: ${[...known].join(', ')}`);
  const wanted = new Set(only ?? ALL_ROWS.map((r) => r.name));
  for (const row of ALL_ROWS) if (wanted.has(row.name) && row.against) wanted.add(row.against);
  return ALL_ROWS.filter((r) => wanted.has(r.name) && (pgWanted || (r.server !== 'pg' && r.server !== 'pg1')));
}

// ---- servers ----
async function startStoa(db: StoaKey): Promise<{ server: ServerChild; users: StoaUsers }> {
  const env: Record<string, string> = { ...STOA_BENCH_ENV, DATA_DIR: tempDir(`stoa-bench-hot-${db}-`) };
  if (db === 'pg1') env.DATABASE_SINGLE_NODE = 'true';
  if (db !== 'sqlite') {
    const schema = await createPgSchema(BENCH_PG_BASE, 'bench_hot');
    schemas.add(schema);
    env.DATABASE_URL = schema.url;
  }
  const server = await startIngestServer(ROOT, env, { name: `stoa-${db}` });
  // A cluster's second node: idle, but every write of the measured node waits for its confirmation.
  if (db === 'pg') peerNodes.push(await startIngestServer(ROOT, { ...env, DATA_DIR: tempDir('stoa-bench-hot-pg-peer-') }, { name: 'stoa-pg-peer' }));
  const users = await createStoaUsers(server.baseUrl, connections);
  return { server, users };
}

/** Nodes that share a measured node's database and take no load. */
const peerNodes: ServerChild[] = [];

/** The load job and success text of each row, from its server and users. */
function jobFor(row: RowSpec, baseUrl: string, refTokens: string[], stoa: StoaUsers | null): { job: LoadJob; expect: string } {
  const base = { concurrency: connections, durationMs: seconds * 1000, bodies: [] as string[], paths: [] as string[] };
  const messages = Array.from({ length: 16 }, (_, i) => JSON.stringify({ message: `hot path bench message ${i}` }));
  const success = '"status":"success"';
  const a = stoa?.accounts ?? [];
  switch (row.server === 'bare' || row.server === 'ref' ? row.name : row.name.slice(row.name.indexOf('-') + 1)) {
    case 'bare':
      return { job: { ...base, url: `${baseUrl}/`, method: 'GET' }, expect: success };
    case 'ref-history':
      return { job: { ...base, url: `${baseUrl}/history`, method: 'GET', headers: refTokens.map((t) => ({ Authorization: t })) }, expect: success };
    case 'ref-chat':
      return { job: { ...base, url: `${baseUrl}/chat`, method: 'POST', bodies: messages, headers: refTokens.map((t) => ({ Authorization: t })) }, expect: success };
    case 'chat-post':
      return { job: { ...base, url: `${baseUrl}/api/chat`, method: 'POST', bodies: messages, headers: a.map((u) => ({ Authorization: u.chatToken })) }, expect: success };
    case 'chat-history':
      return { job: { ...base, url: `${baseUrl}/api/chat/history?limit=20`, method: 'GET', headers: a.map((u) => ({ Authorization: u.chatToken })) }, expect: success };
    case 'study':
      return {
        job: { ...base, url: `${baseUrl}/api/v1.0/studys`, method: 'GET', headers: a.map((u) => ({ Authorization: `Basic ${Buffer.from(`${u.studyToken}:`).toString('base64')}` })) },
        expect: '"studys":[{',
      };
    case 'live-watch':
      return {
        job: { ...base, url: `${baseUrl}/user/watch`, method: 'POST', bodies: [JSON.stringify({ s_name: stoa!.streamer })], headers: a.map((u) => ({ Authorization: `JWT ${u.jwt}` })) },
        expect: '"i_people"',
      };
    case 'monitor-access':
      return { job: { ...base, url: `${baseUrl}/user/access_right`, method: 'GET', headers: a.map((u) => ({ Authorization: `JWT ${u.jwt}` })) }, expect: '"access_right"' };
    case 'ihome-session':
      return { job: { ...base, url: `${baseUrl}/api/v1.0/session`, method: 'GET', headers: a.map((u) => ({ Cookie: u.ihomeCookie })) }, expect: '"errcode":"0"' };
    default:
      throw new Error(`no job for row ${row.name}`);
  }
}

/** One request of the job, with its first header set, answered as the load will expect. */
function probeJob(job: LoadJob): Promise<void> {
  const url = new URL(job.method === 'GET' && job.paths.length > 0 ? job.paths[0]! : job.url, job.url);
  return probe(url.origin, job.method, url.pathname + url.search, job.headers?.[0] ?? {}, job.bodies[0], job.expectBody);
}

// ---- statistics and the table ----
function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
const fmtRate = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : 'n/a');

interface Summary {
  rate: number;
  p99: number;
  failed: number;
  requests: number;
  serverUs: number;
  otherPct: number;
}
function summarize(row: RowRun): Summary {
  return {
    rate: median(row.results.map((r) => r.perSecond)),
    p99: median(row.results.map((r) => r.p99Ms)),
    serverUs: median(row.results.map((r) => r.serverUsPerRequest)),
    otherPct: median(row.results.map((r) => r.otherPct)),
    failed: row.results.reduce((sum, r) => sum + r.failed, 0),
    requests: row.results.reduce((sum, r) => sum + r.ok + r.failed, 0),
  };
}
function failureText(row: RowRun): string {
  const non2xx = row.results.reduce((s, r) => s + r.non2xx, 0);
  const socket = row.results.reduce((s, r) => s + r.socketErrors, 0);
  const bodies = row.results.reduce((s, r) => s + r.unexpectedBodies, 0);
  return [non2xx && `${non2xx} non-2xx`, socket && `${socket} socket errors`, bodies && `${bodies} 2xx without the success text`].filter(Boolean).join(', ');
}

function printTable(rows: RowRun[]): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const header = ['row', 'call', 'req/s (median)', 'p99 ms (median)', 'failed', 'server CPU/req', 'other CPU', 'ratio', 'goal', 'result'];
  const lines: string[][] = [];
  for (const row of rows) {
    if (row.blocked) {
      lines.push([row.name, row.call, '-', '-', '-', '-', '-', '-', goalText(row), 'BLOCKED']);
      continue;
    }
    const s = summarize(row);
    const ref = row.against ? byName.get(row.against) : undefined;
    const refRate = ref && !ref.blocked && ref.results.length > 0 ? summarize(ref).rate : NaN;
    const ratio = s.rate / refRate;
    const ratioText = row.against ? (Number.isFinite(ratio) ? `${ratio.toFixed(2)} x ${row.against}` : `n/a (${row.against} missing)`) : '-';
    let result = '-';
    if (row.goal !== 'baseline') {
      const rateMet = Number.isFinite(ratio) && ratio >= (row.goal === 'post' ? POST_GOAL : GET_GOAL);
      const p99Met = s.p99 < P99_GOAL_MS;
      const why = [!rateMet && 'rate', !p99Met && 'p99', s.failed > 0 && 'failures'].filter(Boolean).join('+');
      result = why === '' ? 'met' : `UNMET (${why})`;
    } else if (s.failed > 0) result = 'FAILURES';
    const failed = s.failed > 0 ? `${s.failed.toLocaleString('en-US')} of ${s.requests.toLocaleString('en-US')}` : '0';
    const cpu = Number.isFinite(s.serverUs) ? `${s.serverUs.toFixed(0)} µs` : 'n/a';
    const other = Number.isFinite(s.otherPct) ? `${s.otherPct.toFixed(0)} %` : 'n/a';
    lines.push([row.name, row.call, fmtRate(s.rate), fmtMs(s.p99), failed, cpu, other, ratioText, goalText(row), result]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  log(fmt(header));
  log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) log(fmt(l));
}
function goalText(row: RowSpec): string {
  if (row.goal === 'baseline') return '-';
  return `>= ${row.goal === 'post' ? `${POST_GOAL} x ref-chat` : `${GET_GOAL} x bare`}, p99 < ${P99_GOAL_MS}`;
}

// ---- main ----
async function main(): Promise<void> {
  if (!wrkAvailable()) {
    console.error('wrk is not installed (Debian: apt-get install wrk); this bench needs it for p99 latency.');
    process.exit(2);
  }
  let pgWanted = !skipPgFlag;
  const pgNote: string[] = [];
  if (pgWanted && !(await pgReachable(BENCH_PG_BASE))) {
    pgWanted = false;
    pgNote.push(`PostgreSQL not reachable at ${BENCH_PG_BASE}: pg rows skipped`);
  }
  const specs = chooseRows(pgWanted);
  const needed = new Set(specs.map((r) => r.server));
  const phases = specs.length * repeat;
  log(
    `hot-path bench: ${specs.length} rows x ${repeat} rounds x ${seconds} s (+${WARMUP_S} s warm-up each, about ${Math.ceil((phases * seconds + specs.length * WARMUP_S) / 60)} min of load), ` +
      `wrk ${WRK_THREADS} thread, ${connections} connections, ${os.cpus().length} cores, node ${process.version}`,
  );
  for (const note of pgNote) log(note);
  log(`Stoa env changed from defaults: ${Object.entries(STOA_BENCH_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} (per-user chat limit out of the way, JWT outlives the run; argon2 is only used at sign-up/login)`);
  log(`users: ${connections} per server, one per connection; request i carries user i mod ${connections}'s token`);
  log(execSync(`df -h ${os.tmpdir()} 2>/dev/null || true`).toString().trim());

  const servers = new Map<ServerKey, ServerChild>();
  const stoaUsers = new Map<ServerKey, StoaUsers>();
  const setupErrors = new Map<ServerKey, string>();
  const refTokens = Array.from({ length: connections }, (_, i) => `ref-token-${i}-${Math.random().toString(16).slice(2)}`);
  const started = performance.now();
  for (const key of ['bare', 'ref', 'sqlite', 'pg', 'pg1'] as const) {
    if (!needed.has(key)) continue;
    try {
      if (key === 'bare') servers.set(key, await startHttpChild(ROOT, ['--import', 'tsx', 'bench/lib/bare-json-server.ts'], {}, { name: 'bare' }));
      else if (key === 'ref') {
        servers.set(key, await startHttpChild(ROOT, ['--import', 'tsx', 'bench/lib/durable-chat-reference.ts'], { DATA_DIR: tempDir('stoa-bench-hot-ref-'), REF_TOKENS: refTokens.join(',') }, { name: 'ref' }));
      } else {
        const { server, users } = await startStoa(key);
        servers.set(key, server);
        stoaUsers.set(key, users);
      }
    } catch (err) {
      setupErrors.set(key, (err as Error).message.split('\n')[0]!);
      log(`setup of ${key} failed: ${(err as Error).message}`);
    }
  }
  log(`servers up and users made in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const rows: RowRun[] = [];
  for (const spec of specs) {
    const server = servers.get(spec.server);
    if (!server) {
      rows.push({ ...spec, job: null, pid: undefined, blocked: `server did not start: ${setupErrors.get(spec.server) ?? 'unknown'}`, results: [] });
      continue;
    }
    const { job, expect } = jobFor(spec, server.baseUrl, refTokens, stoaUsers.get(spec.server) ?? null);
    const checked = { ...job, expectBody: expect };
    try {
      await probeJob(checked);
      rows.push({ ...spec, job: checked, pid: server.child.pid, blocked: null, results: [] });
    } catch (err) {
      rows.push({ ...spec, job: null, pid: server.child.pid, blocked: (err as Error).message, results: [] });
      log(`${spec.name}: blocked, the first request answered: ${(err as Error).message}`);
    }
  }

  for (const row of rows) if (row.job) await runWrkLoad({ ...row.job, durationMs: WARMUP_S * 1000 }, WRK_THREADS);
  log('warm-up done');
  for (let round = 1; round <= repeat; round++) {
    for (const row of rows) {
      if (!row.job) continue;
      const r = await measuredRun(row.job, row.pid);
      row.results.push(r);
      const failed = r.failed > 0 ? `, ${r.failed} FAILED (${r.non2xx} non-2xx, ${r.socketErrors} socket, ${r.unexpectedBodies} bad body)` : '';
      log(`  round ${round}/${repeat} ${row.name.padEnd(20)} ${fmtRate(r.perSecond).padStart(7)} req/s  p99 ${fmtMs(r.p99Ms).padStart(6)} ms  server ${r.serverUsPerRequest.toFixed(0).padStart(4)} µs/req  other CPU ${r.otherPct.toFixed(0).padStart(2)} %${failed}`);
    }
  }

  log('');
  printTable(rows);
  log('');
  log(`goals: signed-in GETs and the watch heartbeat >= ${GET_GOAL} x bare node:http; POST /api/chat >= ${POST_GOAL} x the durable reference's POST; p99 < ${P99_GOAL_MS} ms at ${connections} connections; no failures.`);
  log(`medians of ${repeat} interleaved run(s) of ${seconds} s each; ratios are against the rows of this same run.`);
  log(`server CPU/req: the server process's CPU time per answer; other CPU: share of all ${os.cpus().length} cores used by anything but the server, wrk and this script during the phase (high = a disturbed phase; on pg rows it includes PostgreSQL's own processes).`);
  for (const row of rows) {
    if (row.blocked) log(`${row.name}: BLOCKED: ${row.blocked}`);
    else if (summarize(row).failed > 0) log(`${row.name}: failures: ${failureText(row)}`);
  }

  for (const server of [...servers.values(), ...peerNodes]) await server.stop();
  for (const schema of schemas) await schema.drop().catch((err: Error) => log(`could not drop schema ${schema.schema}: ${err.message}`));
  schemas.clear();
  process.exit(0);
}

main().catch((err: Error) => {
  if (stopping) return;
  console.error(err);
  stopAndExit(1);
});
