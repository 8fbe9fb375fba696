/**
 * bench/live: 2,000 viewers send `POST /user/watch` heartbeats every 15 s (spread evenly)
 * while 20 live streams receive gifts at a steady rate; prints request rate and p50/p99
 * latency per call type, with a baseline (`GET /healthz` at the same rate) measured first
 * in the same run, and PASS/FAIL for p99 < 50 ms.
 *
 *   node --import tsx bench/live.ts [--viewers 2000] [--streams 20] [--interval 15]
 *                                   [--gifts-per-s 20] [--duration 60] [--baseline 15]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LiveHttp, Recorder, startLiveServer, type LiveServerChild, type Timed } from './lib/live-client.js';

const TARGET_P99_MS = 50;
const MAX_IN_FLIGHT = 4000;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const VIEWERS = Math.floor(flag('viewers', 2000));
const STREAMS = Math.floor(flag('streams', 20));
const INTERVAL_S = flag('interval', 15);
const GIFTS_PER_S = flag('gifts-per-s', 20);
const DURATION_S = flag('duration', 60);
const BASELINE_S = flag('baseline', 15);

/** Runs `work(i)` for i in [0, count) with at most `width` at once. */
async function pool(count: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}

async function account(api: LiveHttp, name: string, i: number): Promise<string> {
  const password = `pw-${name}-bench`;
  const signup = await api.call('POST', '/user/signup', {
    s_name: name, s_email: `${name}@bench.test`, s_password: password, s_password_confirmation: password, s_phone: `139${String(i).padStart(8, '0')}`,
  });
  if (signup.status !== 200) throw new Error(`signup ${name}: ${signup.status} ${JSON.stringify(signup.body)}`);
  const login = await api.call('POST', '/user/login', { s_name: name, s_password: password });
  if (login.status !== 200) throw new Error(`login ${name}: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body.access_token as string;
}

/**
 * Fires `events` (each at its own offset in ms) open-loop: a send never waits for earlier
 * answers, so a slow server shows up as latency, not as a lower rate. Ends after `ms`.
 */
async function openLoop(ms: number, schedule: Array<{ at: number; fire: () => Promise<void> }>): Promise<number> {
  schedule.sort((a, b) => a.at - b.at);
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  let index = 0;
  while (index < schedule.length) {
    const now = performance.now() - started;
    while (index < schedule.length && schedule[index]!.at <= now) {
      if (pending.size >= MAX_IN_FLIGHT) skipped += 1;
      else {
        const p = schedule[index]!.fire().finally(() => pending.delete(p));
        pending.add(p);
      }
      index += 1;
    }
    if (index < schedule.length) await new Promise((r) => setTimeout(r, Math.max(1, Math.min(5, schedule[index]!.at - now))));
  }
  await Promise.all(pending);
  const elapsed = performance.now() - started;
  if (elapsed < ms) await new Promise((r) => setTimeout(r, ms - elapsed));
  return skipped;
}

/** Times `call` into `rec`, counting a thrown error as a failure. */
const timed = (rec: Recorder, call: () => Promise<Timed>) => async () => rec.add(await call().catch(() => null));

function row(rec: Recorder, seconds: number): string {
  const n = rec.samples.length + rec.failures;
  const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  return `${rec.name.padEnd(22)} ${String(n).padStart(7)} ${(n / seconds).toFixed(1).padStart(8)}/s  p50 ${f(rec.percentile(50)).padStart(7)} ms  p99 ${f(rec.percentile(99)).padStart(7)} ms  max ${f(Math.max(...rec.samples)).padStart(8)} ms  errors ${rec.failures}`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-live-'));
  let server: LiveServerChild | undefined;
  const onExit = () => server?.killNow();
  process.once('exit', onExit);
  process.once('SIGINT', () => process.exit(130));
  try {
    server = await startLiveServer(process.cwd(), {
      HOST: '127.0.0.1', PORT: '0', SOCKET_PORT: '-1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production',
      ARGON2_MEMORY_KIB: '64', ARGON2_TIME_COST: '1', WEB_JWT_TTL_S: '86400', WEB_LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
    });
    const api = new LiveHttp(server.host, server.port);
    console.log(`stoa on ${server.host}:${server.port}; creating ${STREAMS} streamers and ${VIEWERS} viewers...`);
    const streamerTokens: string[] = [];
    const viewerTokens: string[] = [];
    const setupStart = performance.now();
    await pool(STREAMS, 16, async (i) => void (streamerTokens[i] = await account(api, `streamer${i}`, i)));
    await pool(VIEWERS, 32, async (i) => void (viewerTokens[i] = await account(api, `viewer${i}`, STREAMS + i)));
    for (let i = 0; i < STREAMS; i += 1) {
      const res = await api.call('POST', '/user/live', { s_name: `streamer${i}` }, streamerTokens[i]);
      if (res.status !== 200) throw new Error(`live streamer${i}: ${JSON.stringify(res.body)}`);
    }
    console.log(`setup ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

    const beatsPerS = VIEWERS / INTERVAL_S;
    const baseline = new Recorder('baseline GET /healthz');
    const baselineEvents = Array.from({ length: Math.floor((beatsPerS + GIFTS_PER_S) * BASELINE_S) }, (_, k) => ({
      at: (k / (beatsPerS + GIFTS_PER_S)) * 1000,
      fire: timed(baseline, () => api.call('GET', '/healthz')),
    }));
    console.log(`baseline: ${(beatsPerS + GIFTS_PER_S).toFixed(1)} req/s for ${BASELINE_S} s`);
    await openLoop(BASELINE_S * 1000, baselineEvents);

    const watch = new Recorder('POST /user/watch');
    const gift = new Recorder('PUT /user/money_follow');
    const events: Array<{ at: number; fire: () => Promise<void> }> = [];
    for (let v = 0; v < VIEWERS; v += 1) {
      const body = { s_name: `streamer${v % STREAMS}` };
      for (let at = (v / VIEWERS) * INTERVAL_S * 1000; at < DURATION_S * 1000; at += INTERVAL_S * 1000) {
        events.push({ at, fire: timed(watch, () => api.call('POST', '/user/watch', body, viewerTokens[v])) });
      }
    }
    let expectedGifts = 0;
    for (let k = 0; k < Math.floor(GIFTS_PER_S * DURATION_S); k += 1) {
      const v = (k * 7919) % VIEWERS;
      expectedGifts += 1;
      const body = { s_name: `streamer${k % STREAMS}`, i_donate: 1 };
      events.push({ at: (k / GIFTS_PER_S) * 1000, fire: timed(gift, () => api.call('PUT', '/user/money_follow', body, viewerTokens[v])) });
    }
    console.log(`load: ${beatsPerS.toFixed(1)} heartbeats/s + ${GIFTS_PER_S} gifts/s for ${DURATION_S} s`);
    const skipped = await openLoop(DURATION_S * 1000, events);

    let donated = 0;
    let watching = 0;
    for (let i = 0; i < STREAMS; i += 1) {
      donated += (await api.call('GET', `/user/ueinfo?s_name=streamer${i}`)).body.i_donate;
      watching += (await api.call('GET', `/user/current_people?s_name=streamer${i}`)).body.i_people;
    }
    api.close();

    console.log('\ncall                     requests     rate          latency');
    console.log(row(baseline, BASELINE_S));
    console.log(row(watch, DURATION_S));
    console.log(row(gift, DURATION_S));
    console.log(`total live rate ${((watch.samples.length + gift.samples.length) / DURATION_S).toFixed(1)} req/s; skipped (in-flight cap) ${skipped}`);
    console.log(`gifts acknowledged ${gift.samples.length} of ${expectedGifts}; donated total ${donated}; viewers counted now ${watching} of ${VIEWERS}`);
    let ok = donated === gift.samples.length && watch.failures === 0 && gift.failures === 0;
    for (const rec of [watch, gift]) {
      const p99 = rec.percentile(99);
      const pass = p99 < TARGET_P99_MS;
      ok &&= pass;
      console.log(`${pass ? 'PASS' : 'FAIL'} ${rec.name} p99 ${p99.toFixed(2)} ms (target < ${TARGET_P99_MS} ms; baseline p99 ${baseline.percentile(99).toFixed(2)} ms)`);
    }
    console.log(ok ? 'PASS' : 'FAIL');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
