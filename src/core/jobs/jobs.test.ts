import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { capturingLog, type LogLine } from '../../../test/support/capturing-log.js';
import { eventually } from '../../../test/support/eventually.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { createBullJobQueue } from './bullmq-queue.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryJobQueue } from './memory-queue.js';
import type { CancelTimer, JobTimers } from './timers.js';
import { FinalJobError, type JobLog, type JobQueue } from './types.js';

/**
 * One scenario list, every implementation. `cluster()` gives a fresh, isolated store and
 * a way to open nodes on it: for BullMQ each node is a separate queue (own connections)
 * on one Redis prefix; memory has a single node per store.
 */
interface Backend {
  kind: JobQueue['kind'];
  skip: string | false;
  cluster(): (log?: JobLog) => JobQueue;
  /** A node whose back-off the test checks, on the backend's own time (see `TimedNode`). */
  timed(log: JobLog): TimedNode;
}

/**
 * A queue with the time its handlers read and a wait that lets that time pass. The memory
 * queue runs on manual timers, moved from one pending timer to the next; BullMQ delays in
 * real time inside Redis, where a busy machine can only make a wait longer.
 */
interface TimedNode {
  jobs: JobQueue;
  now(): number;
  runUntil(check: () => boolean, what: string): Promise<void>;
}

/** Job timers that fire only when the test moves time on to them. */
class ManualJobTimers implements JobTimers {
  readonly clock = new ManualClock();
  private nextId = 0;
  private readonly pending = new Map<number, { at: number; everyMs: number | null; fn: () => void }>();

  get size(): number {
    return this.pending.size;
  }

  after(ms: number, fn: () => void): CancelTimer {
    return this.add(ms, null, fn);
  }

  every(ms: number, fn: () => void): CancelTimer {
    return this.add(ms, ms, fn);
  }

  /** Moves the clock to the earliest pending timer and fires it. */
  fireNext(): void {
    const [id, timer] = [...this.pending].sort(([, a], [, b]) => a.at - b.at)[0] ?? assert.fail('no timer is pending');
    this.clock.set(timer.at);
    if (timer.everyMs === null) this.pending.delete(id);
    else timer.at += timer.everyMs;
    timer.fn();
  }

  private add(ms: number, everyMs: number | null, fn: () => void): CancelTimer {
    const id = this.nextId++;
    this.pending.set(id, { at: this.clock.now() + ms, everyMs, fn });
    return () => void this.pending.delete(id);
  }
}

/** Memory: each try ends in `check` or in its retry's timer, which is then fired at once. */
function manuallyTimedMemoryQueue(log: JobLog): TimedNode {
  const timers = new ManualJobTimers();
  return {
    jobs: createMemoryJobQueue({ log, timers }),
    now: () => timers.clock.now(),
    runUntil: async (check, what) => {
      while (!check()) {
        await eventually(() => check() || timers.size > 0, { timeoutMs: REAL_TIME_WAIT_MS, what });
        if (!check()) timers.fireNext();
      }
    },
  };
}

/** Real time on a busy machine: generous, it only bounds a failure. */
const REAL_TIME_WAIT_MS = 30_000;

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();
const prefixes: string[] = [];

const BACKENDS: Backend[] = [
  {
    kind: 'memory',
    skip: false,
    cluster: () => (log = quiet()) => createMemoryJobQueue({ log }),
    timed: manuallyTimedMemoryQueue,
  },
  {
    kind: 'bullmq',
    skip: redisUrl ? false : 'Redis not reachable',
    cluster: () => {
      const prefix = `${uniqueRedisPrefix()}jobs`;
      prefixes.push(prefix);
      return (log = quiet()) => createBullJobQueue({ url: redisUrl!, prefix, log });
    },
    timed(log) {
      return {
        jobs: this.cluster()(log),
        now: () => Date.now(),
        runUntil: (check, what) => eventually(check, { timeoutMs: REAL_TIME_WAIT_MS, what }).then(() => {}),
      };
    },
  },
];

after(async () => {
  if (!redisUrl || prefixes.length === 0) return;
  const redis = new Redis(redisUrl);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

/** Date.now() and the delays are whole milliseconds, read at slightly different moments. */
const TIMER_SLACK_MS = 5;

function quiet(): JobLog {
  return pino({ level: 'silent' });
}

/** A logger that keeps every line, to check levels and that payloads stay out. */
const capturingWarnings = (): { log: JobLog; lines: LogLine[] } => capturingLog('warn');

for (const backend of BACKENDS) {
  describe(`job queue (${backend.kind})`, { skip: backend.skip }, () => {
    /** A node on a fresh store, closed when the test ends. */
    function open(t: TestContext, log?: JobLog): JobQueue {
      const jobs = backend.cluster()(log);
      t.after(() => jobs.close());
      return jobs;
    }

    test('reports its kind', (t) => {
      assert.equal(open(t).kind, backend.kind);
    });

    test('runs a queued job with its payload', async (t) => {
      const jobs = open(t);
      const seen: Array<{ payload: unknown; id: string; attempt: number }> = [];
      jobs.register<{ n: number }>('greet', async (payload, info) => void seen.push({ payload, ...info }));
      const id = await jobs.enqueue('greet', { n: 7 });
      await jobs.start();
      await eventually(() => seen.length === 1, { timeoutMs: REAL_TIME_WAIT_MS, what: 'the job' });
      assert.deepEqual(seen, [{ payload: { n: 7 }, id, attempt: 1 }]);
    });

    test('retries a failing job with growing delays until it succeeds', async (t) => {
      const { log, lines } = capturingWarnings();
      const { jobs, now, runUntil } = backend.timed(log);
      t.after(() => jobs.close());
      const times: number[] = [];
      let done = false;
      jobs.register('flaky', async (_payload, { attempt }) => {
        times.push(now());
        if (attempt < 4) throw new Error(`refused (try ${attempt})`);
        done = true;
      });
      await jobs.start();
      await jobs.enqueue('flaky', { secret: 'code-123456' }, { attempts: 5, backoffMs: 40 });
      await runUntil(() => done, 'the fourth try');
      assert.equal(times.length, 4);
      const retries = lines.filter((l) => l.level === 40);
      assert.deepEqual(retries.map((l) => l.retryInMs), [40, 80, 160], 'the back-off the queue scheduled doubles');
      // No retry runs before its back-off; a busy machine can only make a gap longer.
      const gaps = times.slice(1).map((at, i) => at - times[i]!);
      gaps.forEach((gap, i) => assert.ok(gap >= 40 * 2 ** i - TIMER_SLACK_MS, `gap ${i} was ${gap} ms: ${gaps}`));
      assert.equal(lines.filter((l) => l.level >= 50).length, 0);
      assert.ok(!JSON.stringify(lines).includes('code-123456'), 'the payload stays out of the log');
    });

    test('stops after `attempts` tries and logs an error', async (t) => {
      const { log, lines } = capturingWarnings();
      const jobs = open(t, log);
      let calls = 0;
      jobs.register('doomed', async () => {
        calls++;
        throw new Error('still down');
      });
      await jobs.start();
      await jobs.enqueue('doomed', { to: 'someone@example.com' }, { attempts: 3, backoffMs: 10 });
      await eventually(() => lines.some((l) => l.level === 50), { timeoutMs: REAL_TIME_WAIT_MS, what: 'the final error' });
      await sleep(100);
      assert.equal(calls, 3);
      const final = lines.find((l) => l.level === 50)!;
      assert.equal(final.job, 'doomed');
      assert.equal(final.err, 'still down');
      assert.ok(!JSON.stringify(lines).includes('someone@example.com'));
    });

    test('a FinalJobError is not retried', async (t) => {
      const { log, lines } = capturingWarnings();
      const jobs = open(t, log);
      let calls = 0;
      jobs.register('refused', async () => {
        calls++;
        throw new FinalJobError('number does not exist');
      });
      await jobs.start();
      await jobs.enqueue('refused', {}, { attempts: 5, backoffMs: 10 });
      await eventually(() => lines.some((l) => l.level === 50), { timeoutMs: REAL_TIME_WAIT_MS, what: 'the final error' });
      await sleep(100);
      assert.equal(calls, 1);
    });

    test('a job id is queued once while it waits, and again once it has run', async (t) => {
      const jobs = open(t);
      const runs: string[] = [];
      jobs.register<{ v: string }>('once', async ({ v }) => void runs.push(v));
      const first = await jobs.enqueue('once', { v: 'a' }, { jobId: 'user-1' });
      const again = await jobs.enqueue('once', { v: 'b' }, { jobId: 'user-1' });
      const other = await jobs.enqueue('once', { v: 'c' }, { jobId: 'user-2' });
      assert.equal(again, first);
      assert.notEqual(other, first);
      await jobs.start();
      await eventually(() => runs.length === 2, { timeoutMs: REAL_TIME_WAIT_MS, what: 'both ids' });
      assert.deepEqual(runs.sort(), ['a', 'c']);
      // The id is free once the finished job is recorded, a moment after its handler returned.
      const queuedAgain = () => jobs.enqueue('once', { v: 'd' }, { jobId: 'user-1' });
      await eventually(async () => (await queuedAgain()) !== first, { timeoutMs: REAL_TIME_WAIT_MS, what: 'the id free again' });
      await eventually(() => runs.length === 3, { timeoutMs: REAL_TIME_WAIT_MS, what: 'the id queued again' });
    });

    test('runs at most `concurrency` jobs of one name at a time', async (t) => {
      const jobs = open(t);
      let active = 0;
      let peak = 0;
      let finished = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      jobs.register('busy', async () => {
        peak = Math.max(peak, ++active);
        await gate;
        active--;
        finished++;
      }, { concurrency: 2 });
      for (let i = 0; i < 6; i++) await jobs.enqueue('busy', { i });
      await jobs.start();
      // The first jobs are held until the test lets them go, however slowly the next ones are fetched.
      await eventually(() => active === 2, { timeoutMs: REAL_TIME_WAIT_MS, what: 'two jobs running at once' });
      await sleep(100); // real time: a third job, were the limit broken, has had the chance to start
      assert.equal(active, 2);
      release();
      await eventually(() => finished === 6, { timeoutMs: REAL_TIME_WAIT_MS, what: 'six jobs' });
      assert.equal(peak, 2);
    });

    test('a schedule fires repeatedly', async (t) => {
      const jobs = open(t);
      let ticks = 0;
      jobs.register('tick', async (payload) => {
        assert.deepEqual(payload, {});
        ticks++;
      });
      await jobs.schedule('tick', 40);
      await jobs.start();
      await eventually(() => ticks >= 3, { timeoutMs: REAL_TIME_WAIT_MS, what: 'three ticks' });
    });

    test('close waits for the running job', async (t) => {
      const jobs = open(t);
      let started = false;
      let finished = false;
      jobs.register('slow', async () => {
        started = true;
        await sleep(150);
        finished = true;
      });
      await jobs.enqueue('slow', {});
      await jobs.start();
      await eventually(() => started, { timeoutMs: REAL_TIME_WAIT_MS, what: 'the job to start' });
      await jobs.close();
      assert.equal(finished, true);
      await assert.rejects(jobs.enqueue('slow', {}), /closed/);
    });

    test('job names that one implementation would refuse are refused by both', async (t) => {
      const jobs = open(t);
      assert.throws(() => jobs.register('mail:send', async () => {}), /invalid job name/);
      await assert.rejects(async () => jobs.enqueue('', {}), /invalid job name/);
    });

    if (backend.kind === 'bullmq') {
      test('two nodes: a job queued on one runs on the other', async (t) => {
        const node = backend.cluster();
        const [a, b] = [node(), node()];
        t.after(() => Promise.all([a.close(), b.close()]));
        const seen: unknown[] = [];
        b.register('hand-over', async (payload) => void seen.push(payload));
        await b.start();
        await a.enqueue('hand-over', { from: 'a' });
        await eventually(() => seen.length === 1, { timeoutMs: REAL_TIME_WAIT_MS, what: 'the job on node b' });
        assert.deepEqual(seen, [{ from: 'a' }]);
      });

      test('two nodes with one schedule run it once per tick in total', async (t) => {
        const node = backend.cluster();
        const nodes = [node(), node()];
        t.after(() => Promise.all(nodes.map((n) => n.close())));
        const runs = [0, 0];
        nodes.forEach((n, i) => n.register('sweep', async () => void runs[i]!++, { concurrency: 4 }));
        for (const n of nodes) await n.schedule('sweep', 100);
        const startedAt = Date.now();
        for (const n of nodes) await n.start();
        const total = () => runs[0]! + runs[1]!;
        await eventually(() => total() >= 3, { timeoutMs: REAL_TIME_WAIT_MS, what: 'three runs' });
        await sleep(300); // real time: runs twice per tick, were there any, have had the chance to show
        const runsSeen = total();
        const ticks = Math.floor((Date.now() - startedAt) / 100) + 1;
        // A busy machine runs fewer ticks than time allows, never more.
        assert.ok(runsSeen <= ticks + 1, `${runsSeen} runs in ${ticks} ticks: ${runs}`);
      });
    }
  });
}
