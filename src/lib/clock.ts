/** A source of "now" in epoch milliseconds; injected so that time-based rules are testable without sleeping. */
export interface Clock {
  now(): number;
}

/** The wall clock, for production use. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to, for tests of expiry, sweeps and alerts. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
  /** Jumps to an absolute epoch-millisecond time. */
  set(ms: number): void {
    this.current = ms;
  }
}
