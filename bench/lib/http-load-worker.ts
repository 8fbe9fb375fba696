/**
 * One load-generating process for bench/ingest.ts: `concurrency` keep-alive request loops
 * against one URL until the deadline, each answer checked for the expected status.
 * Forked by http-load.ts; gets its job over IPC and sends the totals back the same way.
 */
import http from 'node:http';

/** What the parent asks of one worker. */
export interface LoadJob {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  /** Request bodies to rotate through (POST, PUT); `paths` the same for GET query strings. */
  bodies: string[];
  paths: string[];
  /**
   * Extra request headers to rotate through, one set per request (request i sends
   * `headers[i % headers.length]`): one token per user, so N users share the load evenly.
   */
  headers?: Array<Record<string, string>>;
  /** When set, a 200 whose body does not contain this text counts as failed (for APIs that answer errors with 200). */
  expectBody?: string;
  concurrency: number;
  durationMs: number;
}

const job = await new Promise<LoadJob>((resolve) => process.once('message', (m) => resolve(m as LoadJob)));
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const target = new URL(job.url);
const started = Date.now();
const deadline = started + job.durationMs;
let ok = 0;
let failed = 0;
let turn = 0;

function once(): Promise<void> {
  const i = turn++;
  const body = job.bodies.length > 0 ? job.bodies[i % job.bodies.length]! : null;
  const path = job.paths.length > 0 ? job.paths[i % job.paths.length]! : target.pathname + target.search;
  const extra = job.headers && job.headers.length > 0 ? job.headers[i % job.headers.length]! : {};
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = body ? { ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : { ...extra };
    const req = http.request({ host: target.hostname, port: target.port, path, method: job.method, agent, headers }, (res) => {
      let text = '';
      if (job.expectBody === undefined) res.resume();
      else res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode === 200 && (job.expectBody === undefined || text.includes(job.expectBody))) ok++;
        else failed++;
        resolve();
      });
    });
    req.on('error', () => (failed++, resolve()));
    req.end(body ?? undefined);
  });
}

async function loop(): Promise<void> {
  // Bounded: at most one request per loop turn until the deadline, and never more than 10 million.
  for (let n = 0; n < 10_000_000 && Date.now() < deadline; n++) await once();
}

await Promise.all(Array.from({ length: job.concurrency }, loop));
agent.destroy();
process.send!({ ok, failed, ms: Date.now() - started }, () => process.exit(0));
