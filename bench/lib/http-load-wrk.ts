/**
 * Drives one endpoint with `wrk` (Debian: `apt-get install wrk`) instead of node:http
 * clients: a C load generator costs the 2-core bench box far less CPU, so the server, not
 * the client, sets the ceiling. Bodies, paths and per-request headers (one token per user)
 * rotate through a Lua script that pre-formats every request once. Same job shape as
 * http-load.ts, and the same result plus wrk's p50/p99 latency (`--latency`) and what
 * failed how; `wrkAvailable()` says whether to use it.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadJob } from './http-load-worker.js';
import type { LoadResult } from './http-load.js';

const running = new Set<ChildProcess>();
/** SIGKILLs every wrk run still going (for exit handlers). */
export function killWrkRuns(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** True when a `wrk` binary is on PATH. */
export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version prints its banner and exits 1; only a missing binary is ENOENT.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Lua: reads one request per line (a body for POST/PUT, a path for GET, then optional
 * tab-separated `Name: value` header fields) and cycles through the pre-formatted requests.
 * With `args[3]` (a file holding the expected text) every answer whose body lacks that
 * text is counted, and `done` prints the count as `unexpected bodies: N`.
 */
const SCRIPT = `
local reqs = {}
local n = 0
local i = 0
local expect = nil
unexpected = 0
local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end
local function split(line)
  local fields = {}
  local start = 1
  while true do
    local tab = string.find(line, "\t", start, true)
    if not tab then
      fields[#fields + 1] = string.sub(line, start)
      return fields
    end
    fields[#fields + 1] = string.sub(line, start, tab - 1)
    start = tab + 1
  end
end
init = function(args)
  local method = args[2]
  local f = io.open(args[1], "r")
  for line in f:lines() do
    local fields = split(line)
    local headers = {}
    for k = 2, #fields do
      local colon = string.find(fields[k], ":", 1, true)
      headers[string.sub(fields[k], 1, colon - 1)] = string.gsub(string.sub(fields[k], colon + 1), "^%s+", "")
    end
    if method == "GET" then
      reqs[#reqs + 1] = wrk.format("GET", fields[1], headers)
    else
      headers["Content-Type"] = "application/json"
      reqs[#reqs + 1] = wrk.format(method, nil, headers, fields[1])
    end
  end
  f:close()
  n = #reqs
  if args[3] then
    local e = io.open(args[3], "r")
    expect = e:read("*a")
    e:close()
  end
end
request = function()
  i = i + 1
  return reqs[(i % n) + 1]
end
`;

/** Lua appended when answers are checked: the body must contain the expected text. */
const CHECK_SCRIPT = `
response = function(status, headers, body)
  if status < 300 and not string.find(body or "", expect, 1, true) then unexpected = unexpected + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("unexpected") or 0) end
  io.write("unexpected bodies: " .. total .. "\\n")
end
`;

/** One wrk run's totals: a LoadResult plus the latency tail and what failed how. */
export interface WrkResult extends LoadResult {
  /** 99th percentile latency from wrk's `--latency` distribution, in ms. */
  p99Ms: number;
  /** 50th percentile, in ms. */
  p50Ms: number;
  /** Answers outside 2xx (wrk counts 3xx here too). */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
  /** 2xx answers without `job.expectBody` in the body (0 when not checked). */
  unexpectedBodies: number;
}

/** A wrk duration such as `812.34us`, `1.23ms`, `2.01s` or `1.00m`, in ms. */
function wrkTimeMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : NaN;
}

/**
 * Runs `job` under wrk with `threads` wrk threads and `job.concurrency` connections in all.
 * Failed = non-2xx answers + socket errors + (with `job.expectBody`) 2xx answers without it.
 */
export async function runWrkLoad(job: LoadJob, threads: number): Promise<WrkResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-wrk-'));
  try {
    const target = new URL(job.url);
    const payloads = job.method === 'GET' ? (job.paths.length > 0 ? job.paths : [target.pathname + target.search]) : job.bodies;
    const headerSets = job.headers ?? [];
    const count = Math.max(payloads.length, headerSets.length);
    const lines = Array.from({ length: count }, (_, i) => {
      const fields = [payloads[i % payloads.length]!];
      for (const [name, value] of Object.entries(headerSets.length > 0 ? headerSets[i % headerSets.length]! : {})) fields.push(`${name}: ${value}`);
      if (fields.some((field) => /[\t\r\n]/.test(field))) throw new Error('wrk request lines cannot hold tabs or line breaks');
      return fields.join('\t');
    });
    writeFileSync(path.join(dir, 'lines.txt'), lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'rotate.lua'), job.expectBody === undefined ? SCRIPT : SCRIPT + CHECK_SCRIPT);
    const seconds = Math.max(1, Math.round(job.durationMs / 1000));
    const args = ['-t', String(threads), '-c', String(Math.max(threads, job.concurrency)), '-d', `${seconds}s`, '--timeout', '10s', '--latency'];
    args.push('-s', path.join(dir, 'rotate.lua'), job.url, '--', path.join(dir, 'lines.txt'), job.method);
    if (job.expectBody !== undefined) {
      writeFileSync(path.join(dir, 'expect.txt'), job.expectBody);
      args.push(path.join(dir, 'expect.txt'));
    }
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile('wrk', args, { timeout: job.durationMs + 60_000 }, (err, stdout, stderr) => {
        running.delete(child);
        if (err) reject(new Error(`wrk failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
      running.add(child);
    });
    const total = Number(/(\d+) requests in ([\d.]+)(m?s)/.exec(out)?.[1] ?? NaN);
    const took = /\d+ requests in ([\d.]+)(ms|s|m)\b/.exec(out);
    const secs = took ? Number(took[1]) * (took[2] === 'ms' ? 0.001 : took[2] === 'm' ? 60 : 1) : seconds;
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const socketErrorMatch = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const socketErrors = socketErrorMatch ? socketErrorMatch.slice(1).reduce((a, v) => a + Number(v), 0) : 0;
    const unexpectedBodies = Number(/unexpected bodies: (\d+)/.exec(out)?.[1] ?? 0);
    const percentile = (p: number) => {
      const m = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
      return m ? wrkTimeMs(m[1]!, m[2]!) : NaN;
    };
    if (!Number.isFinite(total)) throw new Error(`cannot read wrk output:\n${out}`);
    const ok = total - non2xx - unexpectedBodies;
    return { ok, failed: non2xx + socketErrors + unexpectedBodies, seconds: secs, perSecond: ok / secs, p50Ms: percentile(50), p99Ms: percentile(99), non2xx, socketErrors, unexpectedBodies };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
