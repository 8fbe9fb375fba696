/**
 * Starts `stoa serve` as a child process for bench/ingest.ts and bench/hot-path.ts (HTTP
 * only, quiet logs), resolves with its base URL from the `http listening on` line, and
 * stops it. `startHttpChild` does the same for any other Node script that prints that line
 * (bench/hot-path.ts's bare and durable reference servers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A running server child. */
export interface ServerChild {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** How to spawn a server child besides its script and environment. */
export interface ChildOptions {
  /** Prefix of the child's stderr lines echoed to ours. */
  name?: string;
  /** Node flags before the script. */
  nodeFlags?: string[];
  /** Called with every line the child writes to stdout (e.g. to read codes from a console log). */
  onLine?: (line: string) => void;
}

/** The V8 heap flags `npm start` runs the server with (package.json's start script), so the bench measures that process. */
export const START_NODE_FLAGS = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--max-'));

const live = new Set<ChildProcess>();
/** SIGKILLs every child still running (for exit handlers). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/**
 * Extra Node flags for the Stoa child only, from BENCH_STOA_NODE_FLAGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server under a bench's load.
 */
const EXTRA_STOA_FLAGS = (process.env.BENCH_STOA_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Spawns the server with `env` added; rejects (and kills it) if it does not listen within 60 s. */
export function startIngestServer(cwd: string, env: Record<string, string>, options: ChildOptions = {}): Promise<ServerChild> {
  return startHttpChild(cwd, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    SOCKET_PORT: '-1', LOG_LEVEL: 'error', NODE_ENV: 'production', ...env,
  }, { name: 'stoa', nodeFlags: [...START_NODE_FLAGS, ...EXTRA_STOA_FLAGS], ...options });
}

/**
 * Spawns `node [nodeFlags] args` in `cwd` with HOST=127.0.0.1, PORT=0 and `env` added, and
 * resolves once it prints `http listening on http://...`; rejects (and kills it) if that
 * does not come within 60 s or the child exits first.
 */
export function startHttpChild(cwd: string, args: string[], env: Record<string, string>, options: ChildOptions = {}): Promise<ServerChild> {
  const name = options.name ?? 'server';
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...args], {
    cwd,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
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
    let started = false;
    let partial = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${name} did not start: ${out.slice(-2000)}`))), 60_000);
    const onData = (chunk: Buffer) => {
      if (started) return;
      out += chunk.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = /http listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({ baseUrl: m[1]!, child, stop });
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      onData(chunk);
      if (!options.onLine) return;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onLine(line);
    });
    child.stderr!.on('data', (c: Buffer) => (onData(c), process.stderr.write(`[${name}] ${c.toString().slice(0, 400)}`)));
    void exited.then(() => (clearTimeout(timer), reject(new Error(`${name} exited: ${out.slice(-2000)}`))));
  });
}
