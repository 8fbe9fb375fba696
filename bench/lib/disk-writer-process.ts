/**
 * The parent's side of bench/lib/disk-writer.ts: starts the competing disk
 * writer in a fresh temp dir under os.tmpdir() (the filesystem the bench puts
 * the server's DATA_DIR on), waits until it is writing, and on `stop` collects
 * what it achieved. The process and the temp dir are in the bench's tracking
 * sets from start to stop, so the bench's exit handlers kill it and remove its
 * file on any exit path; `stop` itself removes both whatever the writer does.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiskWriterEvent } from './disk-writer.js';

const WRITER_FILE = fileURLToPath(new URL('./disk-writer.ts', import.meta.url));
/** Bytes per write: each write of this size is followed by one fsync. */
export const DISK_WRITE_BYTES = 1024 * 1024;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** What the writer achieved between its start and `stop`. */
export interface DiskWriterTotals {
  bytes: number;
  fsyncs: number;
  elapsedMs: number;
  /** Decimal megabytes (10^6 bytes) written and fsynced per second. */
  mbPerS: number;
  fsyncsPerS: number;
  /** The slowest single fsync, in ms. */
  maxFsyncMs: number;
  /** Set when the writer did not report (failed or had to be killed); the rates are then NaN. */
  problem: string | null;
}

/** A running disk writer. */
export interface DiskWriter {
  /** Stops the writer, removes its file and dir, and returns its totals; never throws. */
  stop(): Promise<DiskWriterTotals>;
}

interface Tracking {
  processes: Set<{ killNow(): void }>;
  tempDirs: Set<string>;
}

function totalsFrom(event: Extract<DiskWriterEvent, { ev: 'stopped' }>): DiskWriterTotals {
  const seconds = event.elapsedMs / 1000;
  return {
    bytes: event.bytes,
    fsyncs: event.fsyncs,
    elapsedMs: event.elapsedMs,
    mbPerS: seconds > 0 ? event.bytes / 1e6 / seconds : Number.NaN,
    fsyncsPerS: seconds > 0 ? event.fsyncs / seconds : Number.NaN,
    maxFsyncMs: event.maxFsyncMs,
    problem: null,
  };
}

function failedTotals(problem: string): DiskWriterTotals {
  return { bytes: 0, fsyncs: 0, elapsedMs: 0, mbPerS: Number.NaN, fsyncsPerS: Number.NaN, maxFsyncMs: Number.NaN, problem };
}

/** Resolves with the writer's next event of kind `ev`, or with a `fatal` one (also on exit or timeout). */
function nextEvent(child: ChildProcess, ev: DiskWriterEvent['ev'], timeoutMs: number): Promise<DiskWriterEvent> {
  return new Promise((resolve) => {
    const finish = (event: DiskWriterEvent) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(event);
    };
    const onMessage = (event: DiskWriterEvent) => {
      if (event.ev === ev || event.ev === 'fatal') finish(event);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish({ ev: 'fatal', message: `disk writer exited (${signal ?? `code ${code}`}) before ${ev}` });
    const timer = setTimeout(() => finish({ ev: 'fatal', message: `disk writer: no ${ev} within ${timeoutMs} ms` }), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGKILLs the writer if it is still running and waits for it to be gone. */
async function killAndWait(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts the writer and resolves once it has its file open and is writing; throws (after
 * cleaning up) when it does not get there within 30 s.
 */
export async function startDiskWriter(tracking: Tracking): Promise<DiskWriter> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-disk-writer-'));
  tracking.tempDirs.add(dir);
  const child = fork(WRITER_FILE, [path.join(dir, 'load.bin'), String(DISK_WRITE_BYTES)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let lastFailure: string | null = null;
  child.on('message', (event: DiskWriterEvent) => {
    if (event.ev === 'fatal') lastFailure = event.message;
  });
  const handle = { killNow: () => void (hasExited(child) || child.kill('SIGKILL')) };
  tracking.processes.add(handle);
  const cleanUp = async () => {
    await killAndWait(child);
    tracking.processes.delete(handle);
    rmSync(dir, { recursive: true, force: true });
    tracking.tempDirs.delete(dir);
  };

  const started = await nextEvent(child, 'writing', START_TIMEOUT_MS);
  if (started.ev !== 'writing') {
    await cleanUp();
    throw new Error(started.ev === 'fatal' ? started.message : `disk writer sent ${started.ev} before writing`);
  }
  return {
    async stop() {
      if (hasExited(child)) {
        await cleanUp();
        return failedTotals(`disk writer ended early (${lastFailure ?? `exit ${child.signalCode ?? child.exitCode}`})`);
      }
      const stopped = nextEvent(child, 'stopped', STOP_TIMEOUT_MS);
      if (child.connected) child.send({ cmd: 'stop' });
      const event = await stopped;
      await cleanUp();
      if (event.ev === 'stopped') return totalsFrom(event);
      return failedTotals(event.ev === 'fatal' ? event.message : `unexpected ${event.ev}`);
    },
  };
}
