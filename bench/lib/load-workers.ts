/**
 * The parent's side of the load-generator processes (bench/lib/load-worker.ts):
 * forks them, splits the clients between them, shows progress while they
 * connect, and merges their counters. Every wait is bounded; a worker that does
 * not answer in time fails the step rather than hanging the bench.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './latency-histogram.js';
import { sampleProcess, type ProcSample } from './proc-stats.js';
import type { OpenCommand, OpenedEvent, ReportEvent, WorkerCommand, WorkerEvent } from './worker-protocol.js';

const WORKER_FILE = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** Every worker's `opened` event summed. */
export interface OpenedTotals {
  ready: number;
  readyTcp: number;
  readyWs: number;
  /** Ready clients per target (cluster node), in the order of the open command's `targets`. */
  readyPerTarget: number[];
  failed: number;
  failures: Record<string, number>;
  elapsedMs: number;
  /** Earliest first connect over the workers, epoch ms (preciseNowMs); null when none was tried. */
  firstConnectAtMs: number | null;
  /** Latest successful handshake over the workers, epoch ms; null when none succeeded. */
  lastReadyAtMs: number | null;
}

/** Every worker's `report` event summed, with the histograms merged. */
export interface ReportTotals {
  receivedInWindow: number;
  deliveriesOfWindowMessages: number;
  latency: LatencyHistogram;
  unreadable: number;
  dropped: number;
  dropReasons: Record<string, number>;
  otherMessages: Record<string, number>;
  live: number;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** Seconds from the first connect to the last successful handshake of an open phase; NaN when none succeeded. */
export function connectToLastReadySeconds(opened: OpenedTotals): number {
  if (opened.firstConnectAtMs === null || opened.lastReadyAtMs === null) return Number.NaN;
  return (opened.lastReadyAtMs - opened.firstConnectAtMs) / 1000;
}

/** A set of forked load-generator processes acting as one. */
export class LoadWorkers {
  private readonly children: ChildProcess[] = [];
  private readonly waiters = new Map<ChildProcess, Array<(event: WorkerEvent) => void>>();

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const child = fork(WORKER_FILE, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.waiters.set(child, []);
      child.on('message', (event: WorkerEvent) => {
        if (event.ev === 'progress') return;
        if (event.ev === 'fatal') process.stderr.write(`[load-worker ${child.pid}] fatal: ${event.message}\n`);
        for (const waiter of this.waiters.get(child)!.splice(0)) waiter(event);
      });
      child.on('exit', (code, signal) => {
        for (const waiter of this.waiters.get(child)!.splice(0)) {
          waiter({ ev: 'fatal', message: `load worker exited (${signal ?? `code ${code}`})` });
        }
      });
      this.children.push(child);
    }
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid ?? -1);
  }

  /** CPU and memory of each worker process. */
  samples(): Array<ProcSample | null> {
    return this.children.map((child) => (child.pid === undefined ? null : sampleProcess(child.pid)));
  }

  private next<E extends WorkerEvent['ev']>(child: ChildProcess, ev: E, timeoutMs: number, what: string): Promise<Extract<WorkerEvent, { ev: E }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker ${child.pid}: no ${ev} within ${timeoutMs} ms (${what})`)), timeoutMs);
      const waiter = (event: WorkerEvent) => {
        if (event.ev === ev) {
          clearTimeout(timer);
          resolve(event as Extract<WorkerEvent, { ev: E }>);
        } else if (event.ev === 'fatal') {
          clearTimeout(timer);
          reject(new Error(event.message));
        } else {
          this.waiters.get(child)!.push(waiter);
        }
      };
      this.waiters.get(child)!.push(waiter);
    });
  }

  private send(child: ChildProcess, command: WorkerCommand): void {
    if (child.connected) child.send(command);
  }

  /**
   * Opens `total` clients split evenly over the workers (global indices from 0), printing
   * progress to stderr; resolves with the summed outcome once every worker is done.
   */
  async open(base: Omit<OpenCommand, 'cmd' | 'firstIndex' | 'count'>, total: number, label: string): Promise<OpenedTotals> {
    const per = Math.ceil(total / this.children.length);
    const progress = new Map<ChildProcess, { ready: number; failed: number }>();
    const onProgress = (child: ChildProcess) => (event: WorkerEvent) => {
      if (event.ev === 'progress') progress.set(child, event);
    };
    const listeners = this.children.map((child) => {
      const listener = onProgress(child);
      child.on('message', listener);
      return listener;
    });
    const started = Date.now();
    const ticker = setInterval(() => {
      let ready = 0;
      let failed = 0;
      for (const p of progress.values()) {
        ready += p.ready;
        failed += p.failed;
      }
      process.stderr.write(`  ${label}: ${ready}/${total} ready, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }, 2000);
    try {
      const results = await Promise.all(
        this.children.map((child, i) => {
          const firstIndex = i * per;
          const count = Math.max(0, Math.min(per, total - firstIndex));
          const done = this.next(child, 'opened', base.phaseTimeoutMs + 15_000, 'opening clients');
          this.send(child, { cmd: 'open', ...base, firstIndex, count });
          return done;
        }),
      );
      const totals: OpenedTotals = {
        ready: 0,
        readyTcp: 0,
        readyWs: 0,
        readyPerTarget: base.targets.map(() => 0),
        failed: 0,
        failures: {},
        elapsedMs: 0,
        firstConnectAtMs: null,
        lastReadyAtMs: null,
      };
      for (const r of results as OpenedEvent[]) {
        totals.ready += r.ready;
        totals.readyTcp += r.readyTcp;
        totals.readyWs += r.readyWs;
        r.readyPerTarget.forEach((n, i) => (totals.readyPerTarget[i] = (totals.readyPerTarget[i] ?? 0) + n));
        totals.failed += r.failed;
        addCounts(totals.failures, r.failures);
        totals.elapsedMs = Math.max(totals.elapsedMs, r.elapsedMs);
        totals.firstConnectAtMs = earliest(totals.firstConnectAtMs, r.firstConnectAtMs);
        totals.lastReadyAtMs = latest(totals.lastReadyAtMs, r.lastReadyAtMs);
      }
      return totals;
    } finally {
      clearInterval(ticker);
      this.children.forEach((child, i) => child.off('message', listeners[i]!));
    }
  }

  /** Starts a measurement window in every worker (clears their counters). */
  setWindow(startMs: number, endMs: number): void {
    for (const child of this.children) this.send(child, { cmd: 'window', startMs, endMs });
  }

  /** Collects and merges every worker's counters. */
  async report(timeoutMs = 10_000): Promise<ReportTotals> {
    const results = await Promise.all(
      this.children.map((child) => {
        const done = this.next(child, 'report', timeoutMs, 'report');
        this.send(child, { cmd: 'report' });
        return done;
      }),
    );
    const totals: ReportTotals = {
      receivedInWindow: 0,
      deliveriesOfWindowMessages: 0,
      latency: new LatencyHistogram(),
      unreadable: 0,
      dropped: 0,
      dropReasons: {},
      otherMessages: {},
      live: 0,
    };
    for (const r of results as ReportEvent[]) {
      totals.receivedInWindow += r.receivedInWindow;
      totals.deliveriesOfWindowMessages += r.deliveriesOfWindowMessages;
      totals.latency.merge(r.latency);
      totals.unreadable += r.unreadable;
      totals.dropped += r.dropped;
      addCounts(totals.dropReasons, r.dropReasons);
      addCounts(totals.otherMessages, r.otherMessages);
      totals.live += r.live;
    }
    return totals;
  }

  /** Closes every client and ends the workers; SIGKILLs any that take longer than `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        this.send(child, { cmd: 'close' });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** SIGKILL every worker at once, synchronously; for exit handlers. */
  killNow(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
