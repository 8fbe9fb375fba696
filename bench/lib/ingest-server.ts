/**
 * Starts `stoa serve` as a child process for bench/ingest.ts (HTTP only, quiet logs),
 * resolves with its base URL from the `http listening on` line, and stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A running server child. */
export interface ServerChild {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The V8 heap flags `npm start` runs the server with (package.json's start script), so the bench measures that process. */
const START_NODE_FLAGS = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--max-'));

const live = new Set<ChildProcess>();
/** SIGKILLs every child still running (for exit handlers). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Spawns the server with `env` added; rejects (and kills it) if it does not listen within 60 s. */
export function startIngestServer(cwd: string, env: Record<string, string>): Promise<ServerChild> {
  const child = spawn(process.execPath, [...START_NODE_FLAGS, '--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SOCKET_PORT: '-1', LOG_LEVEL: 'error', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`server did not start: ${out.slice(-2000)}`))), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = /http listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ baseUrl: m[1]!, child, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (onData(c), process.stderr.write(`[stoa] ${c.toString().slice(0, 400)}`)));
    void exited.then(() => (clearTimeout(timer), reject(new Error(`server exited: ${out.slice(-2000)}`))));
  });
}
