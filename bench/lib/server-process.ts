/**
 * Starts a chat server under test (Stoa's `serve`, or the bare broadcaster) as a
 * child process, finds its ports from the two lines it prints on start-up, reads
 * its resident memory and CPU time (bench/lib/proc-stats.ts), and stops it (SIGTERM, then
 * SIGKILL after 5 s). Anything else the child prints is passed on to our stderr
 * with a `[name]` prefix, capped so a log storm under load cannot flood the
 * terminal; every such line is counted and the count reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Target } from './chat-client.js';
import { sampleProcess, type ProcSample } from './proc-stats.js';

const MAX_ECHOED_LINES = 40;

export interface ServerSpec {
  /** Short name used in output, e.g. `stoa` or `bare`. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Give the child an IPC channel (the bare broadcaster exits when it closes). */
  ipc: boolean;
  startTimeoutMs: number;
}

/** A started server: its ports, its pid, and how to stop it. */
export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly target: Target;
  /** Lines the server printed besides the two listening lines (only the first 40 are echoed). */
  otherLines(): number;
  /** How the child ended, or `running`. */
  exitInfo(): string;
  sample(): ProcSample | null;
  stop(): Promise<void>;
  /** SIGKILL at once, synchronously; for exit handlers. */
  killNow(): void;
}

const HTTP_LINE = /http listening on http:\/\/([^:\s]+):(\d+)/;
const TCP_LINE = /tcp chat listening on ([^:\s]+):(\d+)/;

/**
 * Spawns the server and resolves once both listening lines have been seen; kills it and rejects
 * otherwise. It is in `track` from spawn until it exits, so exit handlers can kill it even mid-start.
 */
export function startServer(spec: ServerSpec, track: Set<{ killNow(): void }>): Promise<RunningServer> {
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: spec.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let httpPort: number | null = null;
  let tcpPort: number | null = null;
  let host = '127.0.0.1';
  let other = 0;
  let exit: string | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
  });

  const echo = (line: string) => {
    other++;
    if (other <= MAX_ECHOED_LINES) process.stderr.write(`[${spec.name}] ${line.length > 400 ? `${line.slice(0, 400)}...` : line}\n`);
    else if (other === MAX_ECHOED_LINES + 1) process.stderr.write(`[${spec.name}] (further lines not shown, only counted)\n`);
  };

  return new Promise<RunningServer>((resolve, reject) => {
    const server: RunningServer = {
      name: spec.name,
      pid: child.pid ?? -1,
      get target() {
        return { host, tcpPort: tcpPort ?? -1, httpPort: httpPort ?? -1 };
      },
      otherLines: () => other,
      exitInfo: () => exit ?? 'running',
      sample: () => (child.pid === undefined || exit !== null ? null : sampleProcess(child.pid)),
      async stop() {
        if (exit !== null) return;
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(killer);
      },
      killNow() {
        if (exit === null) child.kill('SIGKILL');
      },
    };
    track.add(server);
    void exitPromise.then(() => track.delete(server));
    const timer = setTimeout(() => {
      void server.stop();
      reject(new Error(`${spec.name} did not print both listening lines within ${spec.startTimeoutMs} ms`));
    }, spec.startTimeoutMs);

    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const httpMatch = HTTP_LINE.exec(line);
      const tcpMatch = TCP_LINE.exec(line);
      if (httpMatch && httpPort === null) {
        host = httpMatch[1]!;
        httpPort = Number(httpMatch[2]);
      } else if (tcpMatch && tcpPort === null) {
        tcpPort = Number(tcpMatch[2]);
      } else {
        echo(line);
        return;
      }
      if (httpPort !== null && tcpPort !== null) {
        clearTimeout(timer);
        resolve(server);
      }
    });
    readline.createInterface({ input: child.stderr! }).on('line', echo);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} could not start: ${error.message}`));
    });
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited before listening (${exit})`));
    });
  });
}
