/**
 * Starts a chat server under test (Stoa's `serve`, or the bare broadcaster) as a
 * child process, finds its ports from the two lines it prints on start-up, reads
 * its resident memory and CPU time from /proc, and stops it (SIGTERM, then
 * SIGKILL after 5 s). Anything else the child prints is passed on to our stderr
 * with a `[name]` prefix, capped so a log storm under load cannot flood the
 * terminal; the number of suppressed lines is kept and reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import type { Target } from './chat-client.js';

/** Linux clock ticks per second for /proc/<pid>/stat CPU fields (sysconf(_SC_CLK_TCK), 100 on every common kernel). */
const CLOCK_TICKS_PER_S = 100;
const MAX_ECHOED_LINES = 40;

/** Resident memory and consumed CPU of one process, from /proc. */
export interface ProcSample {
  rssKb: number;
  /** User + system CPU time since the process started, in ms. */
  cpuMs: number;
}

/** Reads VmRSS from /proc/<pid>/status and utime+stime from /proc/<pid>/stat; null when the process is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssKb: rss ? Number(rss[1]) : Number.NaN, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_S };
  } catch {
    return null;
  }
}

/**
 * CPU time the whole machine spent running processes and kernel threads since boot, in ms
 * (user + nice + system + steal). Interrupt and softirq time are left out: on loopback that is
 * mostly this bench's own TCP traffic, which the kernel does not charge to any process.
 */
export function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ... (guest time is already inside user).
    const busy = ticks[0]! + ticks[1]! + ticks[2]! + ticks[7]!;
    return (busy * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

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
  /** Lines the server printed that we did not echo (past the cap). */
  suppressedLines(): number;
  /** Lines the server printed besides the two listening lines. */
  otherLines(): number;
  /** True once the child has exited; `exitInfo` says how. */
  exited(): boolean;
  exitInfo(): string;
  sample(): ProcSample | null;
  stop(): Promise<void>;
  /** SIGKILL at once, synchronously; for exit handlers. */
  killNow(): void;
}

const HTTP_LINE = /http listening on http:\/\/([^:\s]+):(\d+)/;
const TCP_LINE = /tcp chat listening on ([^:\s]+):(\d+)/;

/** Spawns the server and resolves once both listening lines have been seen; kills it and rejects otherwise. */
export function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: spec.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let httpPort: number | null = null;
  let tcpPort: number | null = null;
  let host = '127.0.0.1';
  let echoed = 0;
  let suppressed = 0;
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
    if (echoed < MAX_ECHOED_LINES) {
      echoed++;
      process.stderr.write(`[${spec.name}] ${line.length > 400 ? `${line.slice(0, 400)}...` : line}\n`);
    } else suppressed++;
  };

  return new Promise<RunningServer>((resolve, reject) => {
    const server: RunningServer = {
      name: spec.name,
      pid: child.pid ?? -1,
      get target() {
        return { host, tcpPort: tcpPort ?? -1, httpPort: httpPort ?? -1 };
      },
      suppressedLines: () => suppressed,
      otherLines: () => other,
      exited: () => exit !== null,
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
