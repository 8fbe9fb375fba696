import type { EnvReader } from '../../core/config.js';

/** The live surface's settings. */
export interface LiveConfig {
  /** A stream live this long raises the long-stream alert (LIVE_ALERT_AFTER_S, 6 h). */
  alertAfterS: number;
  /** A viewer's watch heartbeat counts this long (LIVE_WATCH_TTL_S). */
  watchTtlS: number;
  /** How often the long-stream check runs (LIVE_ALERT_CHECK_INTERVAL_S). */
  alertCheckIntervalS: number;
}

declare module '../../core/config.js' {
  interface ConfigSections {
    live: LiveConfig;
  }
}

/** Reads the live section (LIVE_*). */
export function readLiveConfig(r: EnvReader): { live: LiveConfig } {
  return {
    live: {
      alertAfterS: r.int('LIVE_ALERT_AFTER_S', 21600, 1, 365 * 24 * 3600),
      watchTtlS: r.int('LIVE_WATCH_TTL_S', 30, 1, 3600),
      alertCheckIntervalS: r.int('LIVE_ALERT_CHECK_INTERVAL_S', 60, 1, 24 * 3600),
    },
  };
}
