/**
 * CPU and memory accounting for the chat fan-out bench, from Linux /proc: a
 * process's VmRSS and CPU time, the whole machine's busy time, and from those the
 * share of the measured window each party used (server, load generator, anything
 * else). On a shared machine the "anything else" share is what tells a disturbed
 * run from a clean one, and `waitForQuiet` holds a window back until it is small.
 */
import { readFileSync } from 'node:fs';

/** Linux clock ticks per second for /proc/<pid>/stat CPU fields (sysconf(_SC_CLK_TCK), 100 on every common kernel). */
const CLOCK_TICKS_PER_S = 100;

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
 * CPU time of this process's children that have ended and been reaped (cutime + cstime of
 * /proc/self/stat), in ms: read before and after a `wrk` run, the difference is what the
 * load generator used. NaN where there is no /proc.
 */
export function endedChildrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
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

/** "Quiet" = the whole machine busy under this % of one core while the bench itself is idle. */
const QUIET_BUSY_PCT = 15;

/**
 * Waits (bounded) until the machine is quiet for two seconds in a row, so other programs on a
 * shared box do not eat into the window; returns the busy % last seen (of one core).
 */
export async function waitForQuiet(maxWaitS: number, label: string): Promise<number> {
  const until = Date.now() + maxWaitS * 1000;
  let quietSeconds = 0;
  let busyPct = Number.NaN;
  let reported = false;
  while (maxWaitS > 0) {
    const before = machineBusyMs();
    await sleep(1000);
    busyPct = (machineBusyMs() - before) / 10;
    quietSeconds = busyPct < QUIET_BUSY_PCT ? quietSeconds + 1 : 0;
    if (quietSeconds >= 2) break;
    if (Date.now() >= until) {
      process.stderr.write(`  ${label}: machine still busy (${busyPct.toFixed(0)}% of a core) after ${maxWaitS} s, measuring anyway\n`);
      break;
    }
    if (!reported && quietSeconds === 0) {
      process.stderr.write(`  ${label}: other programs use ${busyPct.toFixed(0)}% of a core, waiting up to ${maxWaitS} s for quiet\n`);
      reported = true;
    }
  }
  return busyPct;
}

/** CPU counters of everything involved, read at the start and end of the window. */
export interface CpuSnapshot {
  server: ProcSample | null;
  workers: Array<ProcSample | null>;
  parent: ProcSample | null;
  machineMs: number;
}

function usedMs(start: ProcSample | null | undefined, end: ProcSample | null | undefined): number {
  return start && end ? end.cpuMs - start.cpuMs : Number.NaN;
}

/** CPU used in the window as % of one core: server, load workers, and everything else on the machine. */
export function cpuShares(start: CpuSnapshot, end: CpuSnapshot, ms: number): { server: number; load: number; other: number } {
  const server = usedMs(start.server, end.server);
  const load = start.workers.reduce((sum, s, i) => sum + usedMs(s, end.workers[i]), 0);
  const parent = usedMs(start.parent, end.parent);
  const other = end.machineMs - start.machineMs - server - load - parent;
  return { server: (server / ms) * 100, load: (load / ms) * 100, other: (Math.max(0, other) / ms) * 100 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
