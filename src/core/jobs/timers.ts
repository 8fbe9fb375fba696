/** Stops a timer started through `JobTimers`; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

/**
 * When the in-process queue's delayed jobs, retries and schedule ticks fire. Real timers
 * in production; a test passes its own, so back-off is checked by moving time rather
 * than by measuring it on a machine that may be busy.
 */
export interface JobTimers {
  /** Calls `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): CancelTimer;
  /** Calls `fn` every `ms`; never keeps the process alive on its own. */
  every(ms: number, fn: () => void): CancelTimer;
}

/** Node's own timers. A delayed job or retry keeps the process alive (it is work still owed); a schedule does not. */
export const systemJobTimers: JobTimers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
