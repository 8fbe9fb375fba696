/**
 * A competing disk writer for bench/chat-fanout.ts: "another process writing to
 * the same disk" while clients connect. Started by bench/lib/disk-writer-process.ts
 * with `node --import tsx` and an IPC channel; argument 1 is the file to write
 * (in a temp dir on the server's filesystem), argument 2 the bytes per write.
 *
 * In a loop it writes one chunk of random bytes and fsyncs the file, cycling over
 * the first MAX_FILE_BYTES so the file stays bounded however long it runs. Each
 * write + fsync is one turn of the event loop, so a `stop` message is seen
 * within one fsync. It sends `writing` once the file is open, and on `stop` it
 * closes and removes the file, sends its totals and exits. When the parent goes
 * away (IPC closed) or on SIGTERM/SIGINT it removes the file and exits.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The file wraps around after this many bytes, so a long run does not fill the disk. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Messages this process sends its parent. */
export type DiskWriterEvent =
  | { ev: 'writing' }
  | { ev: 'stopped'; bytes: number; fsyncs: number; elapsedMs: number; maxFsyncMs: number }
  | { ev: 'fatal'; message: string };

const filePath = process.argv[2];
const chunkBytes = Number(process.argv[3] ?? 1024 * 1024);

let fd: number | null = null;
let running = true;
let position = 0;
let bytes = 0;
let fsyncs = 0;
let maxFsyncMs = 0;
let startedMs = 0;

function tell(event: DiskWriterEvent, then?: () => void): void {
  if (process.connected) process.send!(event, undefined, {}, () => then?.());
  else then?.();
}

/** Closes and deletes the file; safe to call more than once. */
function removeFile(): void {
  running = false;
  if (fd !== null) {
    closeSync(fd);
    fd = null;
  }
  if (filePath !== undefined) unlinkSync(filePath);
}

function removeFileQuietly(): void {
  try {
    removeFile();
  } catch {
    // Already gone; the parent also removes the whole temp dir.
  }
}

/** One chunk written at the current position and flushed to the disk, then the next turn. */
function writeAndSync(chunk: Buffer): void {
  if (!running || fd === null) return;
  writeSync(fd, chunk, 0, chunk.length, position);
  const fsyncStart = performance.now();
  fsyncSync(fd);
  maxFsyncMs = Math.max(maxFsyncMs, performance.now() - fsyncStart);
  bytes += chunk.length;
  fsyncs++;
  position = (position + chunk.length) % MAX_FILE_BYTES;
  setImmediate(() => guarded(() => writeAndSync(chunk)));
}

/** Runs `step`; any error is reported to the parent and ends this process. */
function guarded(step: () => void): void {
  try {
    step();
  } catch (error) {
    removeFileQuietly();
    tell({ ev: 'fatal', message: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
  }
}

function stop(): void {
  const elapsedMs = performance.now() - startedMs;
  removeFileQuietly();
  tell({ ev: 'stopped', bytes, fsyncs, elapsedMs, maxFsyncMs }, () => process.exit(0));
}

function leave(): void {
  removeFileQuietly();
  process.exit(0);
}

process.on('message', (command: { cmd?: string }) => {
  if (command.cmd === 'stop') stop();
});
process.on('disconnect', leave);
process.on('SIGTERM', leave);
process.on('SIGINT', leave);

guarded(() => {
  if (filePath === undefined || !Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new Error('usage: disk-writer.ts <file> <bytes per write>');
  }
  const chunk = randomBytes(chunkBytes);
  fd = openSync(filePath, 'w');
  startedMs = performance.now();
  tell({ ev: 'writing' });
  writeAndSync(chunk);
});
