/**
 * The two kinds of run bench/chat-fanout.ts makes, each against a freshly
 * started server that is stopped again at the end (also on errors):
 *
 * - fan-out: K receivers log in (TCP/WS mix), then one sender posts at a fixed
 *   rate through a warm-up and a measurement window; reports deliveries/s inside
 *   the window, latency of messages sent inside it, and server RSS per client.
 * - idle: N connections that say (at most) one thing and then sit there; reports
 *   server RSS per connection and how many are still held at the end. Run against
 *   Stoa and against the bare broadcaster alike.
 *
 * Every open phase is a connect storm: its figures (requested, through the
 * handshake, seconds from the first connect to the last handshake answer,
 * failures) are kept as a ConnectStorm. With `diskWriter` set, a separate
 * process (bench/lib/disk-writer.ts) writes and fsyncs on the filesystem of the
 * server's data dir while the clients connect (for idle: until the hold ends),
 * and what it achieved is kept beside the storm.
 *
 * RSS per connection is (VmRSS after the clients are in - VmRSS before) / clients,
 * where "before" is taken after one client has already logged in and chatted, so
 * one-off start-up costs (lazy modules, JIT, first database writes) are not
 * charged to the connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChatClient, type ChatClient, type Handshake } from './chat-client.js';
import { preciseNowMs } from './latency-histogram.js';
import { LoadWorkers, type OpenedTotals, type ReportTotals } from './load-workers.js';
import { SenderTally, benchMessage, sendAtFixedRate, type SendTotals } from './fixed-rate-sender.js';
import { startDiskWriter, type DiskWriterTotals } from './disk-writer-process.js';
import { cpuShares, machineBusyMs, sampleProcess, waitForQuiet, type CpuSnapshot, type ProcSample } from './proc-stats.js';
import { startServer, type RunningServer, type ServerSpec } from './server-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BARE_FILE = fileURLToPath(new URL('./bare-broadcaster.ts', import.meta.url));
const PASSWORD = 'bench-password-1';
/** Clients per load-generator process at most, well under the 20,000 open-file limit. */
export const MAX_CLIENTS_PER_WORKER = 9000;

export type ServerKind = 'stoa' | 'bare';

/** Settings shared by every phase, from the command line. */
export interface BenchSettings {
  clients: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  drainSeconds: number;
  wsShare: number;
  wsDeflate: boolean;
  messageChars: number;
  workers: number;
  concurrency: number;
  connectTimeoutS: number;
  idle: number;
  idleHandshake: Handshake;
  idleWsShare: number;
  /** Wait up to this long for the rest of the machine to go quiet before a measured window; 0 = do not wait. */
  quietWaitS: number;
  /** Extra node options for the server processes (e.g. `--cpu-prof`), split on spaces. */
  serverNodeArgs: string[];
  /** Run a competing disk writer on the data dir's filesystem during every connect storm and idle phase. */
  diskWriter: boolean;
}

/** Kill-now hooks for everything currently running, used by the bench's exit handlers. */
export const liveProcesses = new Set<{ killNow(): void }>();
/** Temp data directories to remove on exit. */
export const liveTempDirs = new Set<string>();

/** The environment Stoa is started with: cheap argon2 (only so thousands of logins finish fast) and limits out of the way. */
export function stoaEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: '0',
    SOCKET_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ARGON2_MEMORY_KIB: '64',
    ARGON2_TIME_COST: '1',
    CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
    CHAT_REGISTRATIONS_PER_HOUR: '10000000',
    CHAT_MESSAGES_PER_MINUTE: '10000000',
  };
  // SQLite in the temp dir and in-process state: the single-node configuration.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return env;
}

function serverSpec(kind: ServerKind, dataDir: string, nodeArgs: string[]): ServerSpec {
  if (kind === 'bare') {
    return {
      name: 'bare',
      command: process.execPath,
      args: [...nodeArgs, '--import', 'tsx', BARE_FILE],
      cwd: REPO_ROOT,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SOCKET_PORT: '0' },
      ipc: true,
      startTimeoutMs: 30_000,
    };
  }
  return {
    name: 'stoa',
    command: process.execPath,
    args: [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve'],
    cwd: REPO_ROOT,
    env: stoaEnv(dataDir),
    ipc: false,
    startTimeoutMs: 60_000,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a server with a fresh data dir; `use` runs with it; server and dir are gone afterwards whatever happens. */
async function withServer<T>(kind: ServerKind, nodeArgs: string[], use: (server: RunningServer) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `stoa-bench-${kind}-`));
  liveTempDirs.add(dataDir);
  let server: RunningServer | null = null;
  try {
    server = await startServer(serverSpec(kind, dataDir, nodeArgs), liveProcesses);
    return await use(server);
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    liveTempDirs.delete(dataDir);
  }
}

async function withWorkers<T>(count: number, use: (workers: LoadWorkers) => Promise<T>): Promise<T> {
  const workers = new LoadWorkers(count);
  liveProcesses.add(workers);
  try {
    return await use(workers);
  } finally {
    await workers.close();
    liveProcesses.delete(workers);
  }
}

/**
 * Logs in one client, has it chat once and waits for its own broadcast: warms the server's
 * login and broadcast paths before the memory baseline, and proves the room works at all.
 */
export async function openWarmSender(server: RunningServer, tally: SenderTally): Promise<ChatClient> {
  const client = await openChatClient({
    target: server.target,
    transport: 'tcp',
    handshake: 'login',
    username: 'bench_sender',
    password: PASSWORD,
    timeoutMs: 30_000,
    wsDeflate: false,
    onBroadcast: tally.onBroadcast,
    onOther: tally.onOther,
  });
  client.sendJson({ type: 'chat', token: client.token ?? '', message: benchMessage(-1, 16, preciseNowMs()) });
  const deadline = Date.now() + 10_000;
  while (tally.ownBroadcasts === 0 && Date.now() < deadline) await sleep(20);
  if (tally.ownBroadcasts === 0) {
    client.close();
    throw new Error(`${server.name}: the sender's first chat message never came back (replies: ${JSON.stringify(tally.replies)})`);
  }
  return client;
}

function workerCount(settings: BenchSettings, clients: number): number {
  return Math.max(settings.workers, Math.ceil(clients / MAX_CLIENTS_PER_WORKER));
}

/** What one fan-out run measured. */
export interface FanoutResult {
  /** Row label: `bare`, `stoa`, or a cluster label such as `clu3`. */
  server: string;
  /** Server processes the clients were spread over (round-robin). */
  nodes: number;
  /** Messages/s the sender offered, and the TCP/WS mix, in this run. */
  rate: number;
  wsShare: number;
  requested: number;
  opened: OpenedTotals;
  /** The receivers' login as a connect storm (same `opened`), with the disk writer's figures. */
  storm: ConnectStorm;
  send: SendTotals;
  report: ReportTotals;
  windowSeconds: number;
  deliveriesPerS: number;
  /** Deliveries of window messages / (window messages x receivers ready). */
  completeness: number;
  rssBefore: ProcSample;
  rssAfterConnect: ProcSample;
  rssAfterRun: ProcSample | null;
  rssPerConnKb: number;
  /** CPU use during the window, % of one core (the server processes summed). */
  serverCpuPct: number;
  loadCpuPct: number;
  /** Everything else on the machine (other processes, kernel threads), excluding the sender process. */
  otherCpuPct: number;
  serverOtherLines: number;
  serverExit: string;
}

/** One open phase seen as a connect storm: how many clients asked, got in, how fast, and what else loaded the disk. */
export interface ConnectStorm {
  requested: number;
  opened: OpenedTotals;
  /** Handshakes in flight at once, over all load-generator processes. */
  concurrency: number;
  /** The competing disk writer's figures over the storm; null when it was off. */
  diskWriter: DiskWriterTotals | null;
}

/** Failed handshakes of a storm by kind: connection reset or closed by the server, timed out, anything else. */
export interface StormFailures {
  resets: number;
  timeouts: number;
  other: number;
}

const RESET_REASON = /ECONNRESET|EPIPE|closed by server/;
const TIMEOUT_REASON = /timeout|ETIMEDOUT/i;

/** Sorts a storm's failure reasons (as the load workers name them) into resets, timeouts and the rest. */
export function stormFailures(opened: OpenedTotals): StormFailures {
  const kinds: StormFailures = { resets: 0, timeouts: 0, other: 0 };
  for (const [reason, count] of Object.entries(opened.failures)) {
    if (RESET_REASON.test(reason)) kinds.resets += count;
    else if (TIMEOUT_REASON.test(reason)) kinds.timeouts += count;
    else kinds.other += count;
  }
  return kinds;
}

/**
 * Runs `use` with the competing disk writer going when `enabled`; the writer is stopped (and its
 * file removed) when `use` ends, also when it throws. Returns `use`'s value and the writer's totals.
 */
export async function withDiskLoad<T>(enabled: boolean, use: () => Promise<T>): Promise<{ value: T; diskWriter: DiskWriterTotals | null }> {
  if (!enabled) return { value: await use(), diskWriter: null };
  const writer = await startDiskWriter({ processes: liveProcesses, tempDirs: liveTempDirs });
  try {
    const value = await use();
    return { value, diskWriter: await writer.stop() };
  } catch (error) {
    await writer.stop();
    throw error;
  }
}

/** One fan-out run against a fresh `kind` server. */
export function runFanout(kind: ServerKind, settings: BenchSettings, label: string = kind): Promise<FanoutResult> {
  return withServer(kind, settings.serverNodeArgs, (server) => measureFanout(label, [server], settings));
}

/** Sums the samples of several server processes; null when any of them is gone. */
function sumSamples(samples: Array<ProcSample | null>): ProcSample | null {
  if (samples.some((s) => s === null)) return null;
  return (samples as ProcSample[]).reduce((sum, s) => ({ rssKb: sum.rssKb + s.rssKb, cpuMs: sum.cpuMs + s.cpuMs }), { rssKb: 0, cpuMs: 0 });
}

/**
 * One fan-out run against servers that are already up: receivers go round-robin over `servers`,
 * the sender sits on `servers[0]`; memory and CPU are summed over the servers.
 */
export async function measureFanout(label: string, servers: RunningServer[], settings: BenchSettings): Promise<FanoutResult> {
  const first = servers[0]!;
  const sampleAll = () => sumSamples(servers.map((s) => s.sample()));
  const mustSampleAll = (): ProcSample => {
    const sample = sampleAll();
    if (!sample) throw new Error(`${label}: a server is gone (${servers.map((s) => s.exitInfo()).join(', ')})`);
    return sample;
  };
  const tally = new SenderTally();
  const sender = await openWarmSender(first, tally);
  try {
    return await withWorkers(workerCount(settings, settings.clients), async (workers) => {
      await sleep(500);
      const rssBefore = mustSampleAll();
      const perWorker = Math.ceil(settings.concurrency / workers.pids.length);
      const { value: opened, diskWriter } = await withDiskLoad(settings.diskWriter, () =>
        workers.open(
          {
            targets: servers.map((s) => s.target),
            handshake: 'login',
            wsShare: settings.wsShare,
            usernamePrefix: 'fan_',
            password: PASSWORD,
            concurrency: perWorker,
            clientTimeoutMs: 60_000,
            phaseTimeoutMs: settings.connectTimeoutS * 1000,
            wsDeflate: settings.wsDeflate,
          },
          settings.clients,
          `${label} clients logging in${settings.diskWriter ? ' (disk writer on)' : ''}`,
        ),
      );
      const storm: ConnectStorm = { requested: settings.clients, opened, concurrency: perWorker * workers.pids.length, diskWriter };
      await sleep(1000);
      const rssAfterConnect = mustSampleAll();
      await waitForQuiet(settings.quietWaitS, label);
      process.stderr.write(`  ${label}: ${opened.ready} clients in, sending ${settings.rate} msg/s for ${settings.warmupSeconds} s warm-up + ${settings.seconds} s measured\n`);

      const startMs = preciseNowMs() + 300;
      const windowStartMs = startMs + settings.warmupSeconds * 1000;
      const endMs = windowStartMs + settings.seconds * 1000;
      workers.setWindow(windowStartMs, endMs);
      const snapshotCpu = (): CpuSnapshot => ({
        server: sampleAll(),
        workers: workers.samples(),
        parent: sampleProcess(process.pid),
        machineMs: machineBusyMs(),
      });
      let cpuStart: CpuSnapshot | null = null;
      let cpuEnd: CpuSnapshot | null = null;
      const startTimer = setTimeout(() => (cpuStart = snapshotCpu()), windowStartMs - preciseNowMs());
      const endTimer = setTimeout(() => (cpuEnd = snapshotCpu()), endMs - preciseNowMs());
      let send: SendTotals;
      try {
        send = await sendAtFixedRate({ client: sender, tally, rate: settings.rate, startMs, windowStartMs, endMs, messageChars: settings.messageChars });
        await sleep(Math.max(0, endMs - preciseNowMs()) + 20);
      } finally {
        clearTimeout(startTimer);
        clearTimeout(endTimer);
      }
      const cpu = cpuShares(cpuStart ?? snapshotCpu(), cpuEnd ?? snapshotCpu(), settings.seconds * 1000);

      // Late deliveries of window messages still count for completeness and latency: wait for them, bounded.
      const expected = send.sentInWindow * opened.ready;
      const drainUntil = Date.now() + settings.drainSeconds * 1000;
      let report = await workers.report();
      while (report.deliveriesOfWindowMessages < expected - report.dropped * send.sentInWindow && Date.now() < drainUntil) {
        await sleep(250);
        report = await workers.report();
      }
      send.ownBroadcasts = tally.ownBroadcasts;
      const windowSeconds = settings.seconds;
      return {
        server: label,
        nodes: servers.length,
        rate: settings.rate,
        wsShare: settings.wsShare,
        requested: settings.clients,
        opened,
        storm,
        send,
        report,
        windowSeconds,
        deliveriesPerS: report.receivedInWindow / windowSeconds,
        completeness: expected === 0 ? 0 : report.deliveriesOfWindowMessages / expected,
        rssBefore,
        rssAfterConnect,
        rssAfterRun: sampleAll(),
        rssPerConnKb: opened.ready === 0 ? Number.NaN : (rssAfterConnect.rssKb - rssBefore.rssKb) / opened.ready,
        serverCpuPct: cpu.server,
        loadCpuPct: cpu.load,
        otherCpuPct: cpu.other,
        serverOtherLines: servers.reduce((sum, s) => sum + s.otherLines(), 0),
        serverExit: servers.every((s) => s.exitInfo() === 'running') ? 'running' : servers.map((s) => `${s.name}: ${s.exitInfo()}`).join(', '),
      };
    });
  } finally {
    sender.close();
  }
}

/** What one idle run measured. */
export interface IdleResult {
  server: ServerKind;
  requested: number;
  handshake: Handshake;
  wsShare: number;
  opened: OpenedTotals;
  rssBefore: ProcSample;
  rssAfter: ProcSample;
  rssPerConnKb: number;
  /** The connections' open phase as a connect storm; the disk writer (if on) ran through the hold too. */
  storm: ConnectStorm;
  /** Connections through their handshake (logged in, with `login`) and still connected after the hold. */
  held: number;
  /** Why the others that got through ended during the hold. */
  dropReasons: Record<string, number>;
  holdSeconds: number;
  serverOtherLines: number;
}

/** Opens `settings.idle` idle connections to a fresh `kind` server, holds them, and measures its memory. */
export function runIdle(kind: ServerKind, settings: BenchSettings, holdSeconds = 5): Promise<IdleResult> {
  return withServer(kind, settings.serverNodeArgs, async (server) => {
    const tally = new SenderTally();
    const warm = await openWarmSender(server, tally);
    try {
      return await withWorkers(workerCount(settings, settings.idle), async (workers) => {
        await sleep(500);
        const rssBefore = mustSample(server);
        workers.setWindow(0, 0);
        const perWorker = Math.ceil(settings.concurrency / workers.pids.length);
        const { value: held, diskWriter } = await withDiskLoad(settings.diskWriter, () =>
          openAndHoldIdle(server, workers, settings, perWorker, holdSeconds),
        );
        const { opened, rssAfter, report } = held;
        return {
          server: kind,
          requested: settings.idle,
          handshake: settings.idleHandshake,
          wsShare: settings.idleWsShare,
          opened,
          rssBefore,
          rssAfter,
          rssPerConnKb: opened.ready === 0 ? Number.NaN : (rssAfter.rssKb - rssBefore.rssKb) / opened.ready,
          storm: { requested: settings.idle, opened, concurrency: perWorker * workers.pids.length, diskWriter },
          held: report.live,
          dropReasons: report.dropReasons,
          holdSeconds,
          serverOtherLines: server.otherLines(),
        };
      });
    } finally {
      warm.close();
    }
  });
}

/** Opens the idle connections, holds them for `holdSeconds`, then samples the server and counts who is still there. */
async function openAndHoldIdle(
  server: RunningServer,
  workers: LoadWorkers,
  settings: BenchSettings,
  concurrencyPerWorker: number,
  holdSeconds: number,
): Promise<{ opened: OpenedTotals; rssAfter: ProcSample; report: ReportTotals }> {
  const opened = await workers.open(
    {
      targets: [server.target],
      handshake: settings.idleHandshake,
      wsShare: settings.idleWsShare,
      usernamePrefix: 'idle_',
      password: PASSWORD,
      concurrency: concurrencyPerWorker,
      clientTimeoutMs: 60_000,
      phaseTimeoutMs: settings.connectTimeoutS * 1000,
      wsDeflate: settings.wsDeflate,
    },
    settings.idle,
    `${server.name} idle connections opening${settings.diskWriter ? ' (disk writer on)' : ''}`,
  );
  process.stderr.write(`  ${server.name} idle: ${opened.ready} connections open, holding ${holdSeconds} s\n`);
  await sleep(holdSeconds * 1000);
  const rssAfter = mustSample(server);
  const report = await workers.report();
  return { opened, rssAfter, report };
}

function mustSample(server: RunningServer): ProcSample {
  const sample = server.sample();
  if (!sample) throw new Error(`${server.name} is gone (${server.exitInfo()})`);
  return sample;
}
