import type { EnvReader } from '../../core/config.js';

/** The monitor surface's settings. */
export interface MonitorConfig {
  /** Who gets alert e-mails (ALERT_EMAILS, comma-separated). */
  alertEmails: string[];
  /** How often the alert rules are evaluated, once per cluster (ALERT_EVAL_INTERVAL_S). */
  alertEvalIntervalS: number;
  /** Metrics samples older than this many seconds are deleted (METRICS_RETENTION, default 30 days). */
  metricsRetentionS: number;
}

declare module '../../core/config.js' {
  interface ConfigSections {
    monitor: MonitorConfig;
  }
}

/** Reads the monitor section (ALERT_EMAILS, ALERT_EVAL_INTERVAL_S, METRICS_RETENTION). */
export function readMonitorConfig(r: EnvReader): { monitor: MonitorConfig } {
  return {
    monitor: {
      alertEmails: (r.optional('ALERT_EMAILS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      alertEvalIntervalS: r.int('ALERT_EVAL_INTERVAL_S', 10, 1, 3600),
      metricsRetentionS: r.duration('METRICS_RETENTION', 30 * 86400, 60),
    },
  };
}
