import { setTimeout as sleep } from 'node:timers/promises';

/** How long `eventually` keeps trying, how often, and what it waits for. */
export interface EventuallyOptions {
  /** Give up after this many milliseconds of real time (default 5000). */
  timeoutMs?: number;
  /** Pause between tries, in milliseconds (default 10). */
  intervalMs?: number;
  /** What is awaited, in words, for the failure message (e.g. 'the activation mail'). */
  what?: string;
}

/** The values `eventually` treats as "not yet". */
type NotYet = false | 0 | '' | null | undefined;

/**
 * Calls `check` until it returns a truthy value, and resolves with that value (so a
 * `find` can be awaited directly). A `check` that throws or rejects counts as "not yet";
 * if no try succeeds within `timeoutMs`, it rejects with a message naming `what` and
 * carrying the last error as its cause.
 *
 * For waiting on I/O only: deliveries, sockets, processes, other nodes. A rule that
 * depends on time (expiry, retention, idle timeouts) is tested by advancing the injected
 * ManualClock, never by polling real time until it fires.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 5000, intervalMs = 10, what = 'the condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, NotYet>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
