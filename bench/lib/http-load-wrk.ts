/**
 * Drives one endpoint with `wrk` (Debian: `apt-get install wrk`) instead of node:http
 * clients: a C load generator costs the 2-core bench box far less CPU, so the server, not
 * the client, sets the ceiling. POST bodies rotate through a Lua script that pre-formats
 * every request once. Same job shape and result as http-load.ts; `wrkAvailable()` says
 * whether to use it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadJob } from './http-load-worker.js';
import type { LoadResult } from './http-load.js';

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

/** Lua: reads one request body (or GET path) per line and cycles through pre-formatted requests. */
const SCRIPT = `
local lines = {}
local reqs = {}
local n = 0
local i = 0
init = function(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do lines[#lines + 1] = line end
  f:close()
  for _, line in ipairs(lines) do
    if args[2] == "POST" then
      reqs[#reqs + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
    else
      reqs[#reqs + 1] = wrk.format("GET", line)
    end
  end
  n = #reqs
end
request = function()
  i = i + 1
  return reqs[(i % n) + 1]
end
`;

/** Runs `job` under wrk with `threads` wrk threads and `job.concurrency` connections in all. */
export async function runWrkLoad(job: LoadJob, threads: number): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-wrk-'));
  try {
    const target = new URL(job.url);
    const lines = job.method === 'POST' ? job.bodies : job.paths.length > 0 ? job.paths : [target.pathname + target.search];
    writeFileSync(path.join(dir, 'lines.txt'), lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'rotate.lua'), SCRIPT);
    const seconds = Math.max(1, Math.round(job.durationMs / 1000));
    const args = ['-t', String(threads), '-c', String(Math.max(threads, job.concurrency)), '-d', `${seconds}s`, '--timeout', '10s'];
    args.push('-s', path.join(dir, 'rotate.lua'), job.url, '--', path.join(dir, 'lines.txt'), job.method);
    const out = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { timeout: job.durationMs + 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`wrk failed: ${stderr || err.message}`)) : resolve(stdout))),
    );
    const total = Number(/(\d+) requests in ([\d.]+)(m?s)/.exec(out)?.[1] ?? NaN);
    const took = /\d+ requests in ([\d.]+)(ms|s|m)\b/.exec(out);
    const secs = took ? Number(took[1]) * (took[2] === 'ms' ? 0.001 : took[2] === 'm' ? 60 : 1) : seconds;
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const errors = socketErrors ? socketErrors.slice(1).reduce((a, v) => a + Number(v), 0) : 0;
    if (!Number.isFinite(total)) throw new Error(`cannot read wrk output:\n${out}`);
    const ok = total - non2xx;
    return { ok, failed: non2xx + errors, seconds: secs, perSecond: ok / secs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
