/**
 * Metrics ingest bench (a script, not a test): starts `stoa serve` as a child on SQLite,
 * then on PostgreSQL (a fresh schema in db `test`), and measures
 *   - GET /healthz requests/s (the HTTP stack's ceiling with this client: the baseline),
 *   - POST /nfs/resource requests/s (one sample each, many keep-alive clients),
 *   - POST /nfs/resource/batch samples/s (1000-sample batches),
 *   - GET /nfs/resource?s_nf= latency p50/p99 after filling nf_samples to --rows rows
 *     directly through the database, spread over 100 NFs,
 * and beside each load phase the server process's CPU time per request (or per sample),
 * which moves less than throughput when other work shares this 2-core box.
 * The server runs with its defaults, so the alert evaluation (every 10 s, an average over
 * the last 60 s of samples) runs during the load phases as it would in production;
 * `--quiet-alerts` moves it out of the way (ALERT_EVAL_INTERVAL_S=3600) to see ingest alone.
 * The load comes from `wrk` when it is installed (Debian: `apt-get install wrk`; a C client
 * costs this 2-core box far less CPU than node:http), else from forked node:http clients
 * (bench/lib/http-load.ts), which cap out near 3,000 req/s here; `--node-load` forces those.
 * Usage: npm run bench:ingest -- [--seconds 5] [--rows 10000000] [--threads 1] [--skip-pg] [--node-load] [--quiet-alerts]
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillSamples, type FillTarget } from './lib/fill-samples.js';
import { runLoad as runNodeLoad } from './lib/http-load.js';
import type { LoadJob } from './lib/http-load-worker.js';
import { runWrkLoad, wrkAvailable } from './lib/http-load-wrk.js';
import { killAllServers, startIngestServer } from './lib/ingest-server.js';
import { BENCH_PG_BASE, createPgSchema } from './lib/pg-schema.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const PG_BASE = BENCH_PG_BASE;
const NFS = 100;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const seconds = flag('seconds', 5);
const rows = flag('rows', 10_000_000);
const threads = flag('threads', 1);
const skipPg = process.argv.includes('--skip-pg');
const quietAlerts = process.argv.includes('--quiet-alerts');
const useWrk = !process.argv.includes('--node-load') && wrkAvailable();
const loadClient = useWrk ? 'wrk' : 'node:http';
/** One load phase with whichever client this run uses. */
const runLoad = (job: LoadJob, n: number) => (useWrk ? runWrkLoad(job, n) : runNodeLoad(job, n));
const log = (line: string) => console.log(line);

process.on('exit', killAllServers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

function sample(nf: string, i: number): Record<string, string | number> {
  return {
    dt_infotime: '2026-01-01 00:00:00', s_attemp: i % 7, s_cpu: `${(i * 13) % 100}.5`, s_disk: 40, s_diskin: 1.25, s_diskout: 2.5,
    s_error: 0, s_load: '0.7', s_loss: 0, s_memory: 61.2, s_nf: nf, s_size: 1024, s_system: 'linux', s_traffic: 12345, s_transfer: '',
  };
}
const singleBodies = Array.from({ length: 1000 }, (_, i) => JSON.stringify(sample(`nf-${i % NFS}`, i)));
const batchBodies = Array.from({ length: 4 }, (_, b) => JSON.stringify(Array.from({ length: 1000 }, (_, i) => sample(`nf-${i % NFS}`, b * 1000 + i))));

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where there is no /proc. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Runs one load phase and measures the server's CPU time over it. */
async function measured(pid: number | undefined, run: () => ReturnType<typeof runLoad>): Promise<Awaited<ReturnType<typeof runLoad>> & { cpuS: number }> {
  const before = cpuSeconds(pid);
  const result = await run();
  return { ...result, cpuS: cpuSeconds(pid) - before };
}

/** Microseconds of server CPU per item, for the log. */
const perItem = (cpuS: number, items: number) => (Number.isFinite(cpuS) && items > 0 ? `${((cpuS * 1e6) / items).toFixed(1)} µs` : 'n/a');

/** p-th percentile of sorted values. */
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function latency(baseUrl: string, count: number, pathFor = (i: number) => `/nfs/resource?s_nf=nf-${(i * 37) % NFS}`): Promise<{ p50: number; p99: number; failed: number }> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await fetch(baseUrl + pathFor(i));
    await res.arrayBuffer();
    if (res.status !== 200) failed++;
    if (i >= 50) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99), failed };
}

interface Figures {
  healthz: number;
  single: number;
  batch: number;
  /** Server CPU µs per request (healthz, single) and per sample (batch). */
  healthzCpuUs: number;
  singleCpuUs: number;
  batchCpuUs: number;
  errors: number;
  fillRate: number;
  p50: number;
  p99: number;
  floorP50: number;
}

async function benchDialect(name: 'sqlite' | 'postgres', env: Record<string, string>, fill: FillTarget): Promise<Figures> {
  log(`\n== ${name} ==`);
  let server = await startIngestServer(ROOT, env);
  const pid = server.child.pid;
  const base = { concurrency: 64, durationMs: seconds * 1000, bodies: [] as string[], paths: [] as string[] };
  await runLoad({ ...base, durationMs: 2000, url: `${server.baseUrl}/healthz`, method: 'GET' }, threads);
  const healthz = await measured(pid, () => runLoad({ ...base, url: `${server.baseUrl}/healthz`, method: 'GET' }, threads));
  log(`  GET /healthz: ${healthz.perSecond.toFixed(0)} req/s, ${perItem(healthz.cpuS, healthz.ok)} server CPU per request (${healthz.failed} failed)`);
  const singleJob = { ...base, url: `${server.baseUrl}/nfs/resource`, method: 'POST' as const, bodies: singleBodies };
  // Warm-up: the first samples start the SQLite writer thread and compile the ingest path.
  await runLoad({ ...singleJob, durationMs: 2000 }, threads);
  const single = await measured(pid, () => runLoad(singleJob, threads));
  log(`  POST /nfs/resource: ${single.perSecond.toFixed(0)} req/s, ${perItem(single.cpuS, single.ok)} server CPU per request (${single.failed} failed)`);
  const batch = await measured(pid, () =>
    runLoad({ ...base, concurrency: 8, url: `${server.baseUrl}/nfs/resource/batch`, method: 'POST', bodies: batchBodies }, threads),
  );
  log(`  POST /nfs/resource/batch: ${(batch.perSecond * 1000).toFixed(0)} samples/s, ${perItem(batch.cpuS, batch.ok * 1000)} server CPU per sample (${batch.failed} failed)`);
  await server.stop();
  log(`  filling ${rows.toLocaleString()} rows directly...`);
  const fillRate = await fillSamples(fill, rows, NFS, log);
  log(`  fill: ${fillRate.toFixed(0)} rows/s`);
  server = await startIngestServer(ROOT, env);
  const lat = await latency(server.baseUrl, 2050);
  const floor = await latency(server.baseUrl, 2050, () => '/healthz');
  log(`  GET /healthz latency (same client, baseline): p50 ${floor.p50.toFixed(2)} ms, p99 ${floor.p99.toFixed(2)} ms`);
  log(`  GET /nfs/resource?s_nf= at ${rows.toLocaleString()}+ rows: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms (${lat.failed} failed)`);
  await server.stop();
  const cpuUs = (cpuS: number, items: number) => (cpuS * 1e6) / items;
  return {
    healthz: healthz.perSecond,
    single: single.perSecond,
    batch: batch.perSecond * 1000,
    healthzCpuUs: cpuUs(healthz.cpuS, healthz.ok),
    singleCpuUs: cpuUs(single.cpuS, single.ok),
    batchCpuUs: cpuUs(batch.cpuS, batch.ok * 1000),
    errors: single.failed + batch.failed + lat.failed,
    fillRate,
    ...lat,
    floorP50: floor.p50,
  };
}

async function withPgSchema<T>(run: (url: string) => Promise<T>): Promise<T> {
  const fresh = await createPgSchema(PG_BASE);
  try {
    return await run(fresh.url);
  } finally {
    await fresh.drop();
  }
}

function row(target: string, measured: string, goal: string, pass: boolean | null): string {
  return `| ${target.padEnd(44)} | ${measured.padStart(16)} | ${goal.padEnd(12)} | ${pass === null ? '-   ' : pass ? 'PASS' : 'FAIL'} |`;
}

log(
  `metrics ingest bench: ${seconds} s per phase, ${rows.toLocaleString()} rows for the latest query, ${threads} ${loadClient} client thread(s), ` +
    `${os.cpus().length} cores, alert evaluation ${quietAlerts ? 'moved out of the way (--quiet-alerts)' : 'on (server defaults)'}`,
);
const alertEnv: Record<string, string> = quietAlerts ? { ALERT_EVAL_INTERVAL_S: '3600' } : {};
log(execSync('df -h /work 2>/dev/null || df -h .').toString().trim());
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-ingest-'));
const results: Array<[string, Figures]> = [];
try {
  results.push(['sqlite', await benchDialect('sqlite', { ...alertEnv, DATA_DIR: dataDir }, { kind: 'sqlite', dataDir })]);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
if (!skipPg) {
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-ingest-pg-'));
  try {
    const figures = await withPgSchema((url) => benchDialect('postgres', { ...alertEnv, DATA_DIR: pgDir, DATABASE_URL: url }, { kind: 'postgres', url }));
    results.push(['postgres', figures]);
  } finally {
    rmSync(pgDir, { recursive: true, force: true });
  }
}

log('\n| target                                       |         measured | goal         | result |');
log('|----------------------------------------------|------------------|--------------|--------|');
for (const [name, f] of results) {
  const goals = name === 'sqlite';
  log(row(`${name}: GET /healthz (baseline, HTTP ceiling)`, `${f.healthz.toFixed(0)} req/s`, '-', null));
  log(row(`${name}: POST /nfs/resource`, `${f.single.toFixed(0)} req/s`, goals ? '>= 10,000/s' : '-', goals ? f.single >= 10_000 : null));
  log(row(`${name}: POST /nfs/resource vs /healthz`, `${((f.single / f.healthz) * 100).toFixed(0)} %`, '-', null));
  log(row(`${name}: POST /nfs/resource/batch`, `${f.batch.toFixed(0)} samples/s`, goals ? '>= 200,000/s' : '-', goals ? f.batch >= 200_000 : null));
  log(row(`${name}: server CPU per /healthz request`, `${f.healthzCpuUs.toFixed(1)} µs`, '-', null));
  log(row(`${name}: server CPU per single-sample POST`, `${f.singleCpuUs.toFixed(1)} µs`, '-', null));
  log(row(`${name}: server CPU per sample in a batch`, `${f.batchCpuUs.toFixed(1)} µs`, '-', null));
  log(row(`${name}: latest query p50 at ${(rows / 1e6).toFixed(1)}M rows`, `${f.p50.toFixed(2)} ms`, '< 2 ms', f.p50 < 2));
  log(row(`${name}: GET /healthz p50 (latency baseline)`, `${f.floorP50.toFixed(2)} ms`, '-', null));
  log(row(`${name}: latest query p99 at ${(rows / 1e6).toFixed(1)}M rows`, `${f.p99.toFixed(2)} ms`, '-', null));
  log(row(`${name}: direct fill`, `${f.fillRate.toFixed(0)} rows/s`, '-', null));
  if (f.errors > 0) log(`  (${name}: ${f.errors} requests failed)`);
}
process.exit(0);
