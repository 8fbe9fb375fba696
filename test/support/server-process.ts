import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A `stoa serve` child process and the base URL it announced. */
export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the server has printed so far (its log, with LOG_LEVEL set to show it). */
  output(): string;
}

/**
 * Starts `stoa serve` as a child and resolves with its base URL once it prints the
 * listening line. A separate process, unlike `startTestServer`, so a test can SIGKILL it
 * and restart it on the same database, as a crash would.
 */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', SOCKET_PORT: '-1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let started = false;
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`server did not start: ${out}`))), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = started ? null : /http listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({ child, baseUrl: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => (clearTimeout(timer), reject(new Error(`server exited: ${out}`))));
  });
}

/**
 * Sends `signal` to a child unless it has already exited, and resolves once it has:
 * cleanup must wait for the exit before dropping the database under it.
 */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

/** A whole HTTP answer: the status and the body parsed as JSON (null when it is not JSON). */
export interface JsonAnswer {
  status: number;
  body: any;
}

/**
 * Sends a JSON request over `agent` (keep-alive, so many requests share few sockets);
 * resolves with the whole answer, or null when the connection died before the answer was
 * complete. Never rejects: a crash test counts the nulls as requests the kill interrupted.
 */
export function sendJson(
  agent: http.Agent,
  url: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonAnswer | null> {
  const data = options.body === undefined ? '' : JSON.stringify(options.body);
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  return new Promise((resolve) => {
    const req = http.request(url, { method: options.method ?? 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = null;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          body = null;
        }
        resolve(res.statusCode === undefined ? null : { status: res.statusCode, body });
      });
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end(data);
  });
}
