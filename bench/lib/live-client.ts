/**
 * HTTP plumbing for bench/live.ts: a keep-alive JSON client on 127.0.0.1 that times each
 * call, a latency recorder per call type, and the `stoa serve` child it measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

/** One timed answer. */
export interface Timed {
  status: number;
  body: any;
  ms: number;
}

/** JSON over keep-alive sockets to one local server; nothing leaves 127.0.0.1. */
export class LiveHttp {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  constructor(readonly host: string, readonly port: number) {
    if (host !== '127.0.0.1') throw new Error(`bench talks to 127.0.0.1 only, not ${host}`);
  }

  call(method: string, path: string, body?: unknown, token?: string): Promise<Timed> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `JWT ${token}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Latencies and failures of one call type. */
export class Recorder {
  readonly samples: number[] = [];
  failures = 0;
  constructor(readonly name: string) {}

  add(result: Timed | null): void {
    if (!result || result.status !== 200) this.failures += 1;
    else this.samples.push(result.ms);
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  }
}

/** A running `stoa serve` child. */
export interface LiveServerChild {
  host: string;
  port: number;
  stop(): Promise<void>;
  killNow(): void;
}

/** Spawns `node --import tsx src/cli/main.ts serve` with `env` and waits for its `http listening on` line (60 s at most). */
export function startLiveServer(cwd: string, env: Record<string, string>): Promise<LiveServerChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(killNow, 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (killNow(), reject(new Error('server did not start within 60 s'))), 60_000);
    let seen = '';
    child.stderr!.on('data', (c: Buffer) => process.stderr.write(`[stoa] ${c}`));
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString('utf8');
      const match = /http listening on http:\/\/([^:\s]+):(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        seen = '';
        resolve({ host: match[1]!, port: Number(match[2]), stop, killNow });
      }
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`server exited early (${code})`))));
  });
}
