/**
 * Drives one endpoint with keep-alive clients spread over forked worker processes (node:http, no
 * extra dependency) for a fixed time, and reports successful requests per second.
 */
import { fork } from 'node:child_process';
import type { LoadJob } from './http-load-worker.js';

/** Totals of one load run. */
export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
}

/** Runs `job` in `threads` worker processes at once (each with `job.concurrency` connections). */
export async function runLoad(job: LoadJob, threads: number): Promise<LoadResult> {
  const results = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<{ ok: number; failed: number; ms: number }>((resolve, reject) => {
          const worker = fork(new URL('./http-load-worker.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          const timer = setTimeout(() => worker.kill('SIGKILL'), job.durationMs + 60_000);
          worker.once('message', (m) => (clearTimeout(timer), resolve(m as { ok: number; failed: number; ms: number })));
          worker.once('error', reject);
          worker.once('exit', (code) => (clearTimeout(timer), code !== 0 && reject(new Error(`load worker exited with ${code}`))));
          worker.send(job);
        }),
    ),
  );
  const seconds = Math.max(...results.map((r) => r.ms)) / 1000;
  const ok = results.reduce((a, r) => a + r.ok, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  return { ok, failed, seconds, perSecond: ok / seconds };
}
