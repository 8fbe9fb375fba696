import { createHash } from 'node:crypto';
import type { EnvReader } from '../../core/config.js';

/** The monitor surface's settings. */
export interface MonitorConfig {
  /** Who gets alert e-mails (ALERT_EMAILS, comma-separated). */
  alertEmails: string[];
  /** How often the alert rules are evaluated, once per cluster (ALERT_EVAL_INTERVAL_S). */
  alertEvalIntervalS: number;
  /** Metrics samples older than this many seconds are deleted (METRICS_RETENTION, default 30 days). */
  metricsRetentionS: number;
  /** SHA-256 of INGEST_TOKEN, hex; null leaves ingest open, as the seed had it. */
  ingestTokenSha256: string | null;
  /** INGEST_NF_ALLOWLIST: names or `*` globs a sample's s_nf must match; empty = any name. */
  ingestNfAllowlist: string[];
  /** INGEST_NEW_NF_PER_MINUTE: NF names never seen before accepted per minute, across the cluster (0 = no cap). */
  ingestNewNfPerMinute: number;
  /** ALERT_GROUP_WAIT_S: a new group's first notice is held this long so others can join it (0: each evaluation is a group). */
  alertGroupWaitS: number;
  /** ALERT_GROUP_INTERVAL_S: an NF that keeps firing is repeated at most this often. */
  alertGroupIntervalS: number;
}

declare module '../../core/config.js' {
  interface ConfigSections {
    monitor: MonitorConfig;
  }
}

/** Comma-separated values, trimmed, empty ones dropped. */
function commaList(text: string | null): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The token's SHA-256, so the secret itself is not kept in the frozen config. */
function tokenHash(token: string | null): string | null {
  return token === null ? null : createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Reads the monitor section: ALERT_EMAILS, ALERT_EVAL_INTERVAL_S, METRICS_RETENTION,
 * INGEST_TOKEN, INGEST_NF_ALLOWLIST, INGEST_NEW_NF_PER_MINUTE, ALERT_GROUP_WAIT_S and
 * ALERT_GROUP_INTERVAL_S.
 */
export function readMonitorConfig(r: EnvReader): { monitor: MonitorConfig } {
  const allowlist = commaList(r.optional('INGEST_NF_ALLOWLIST'));
  const badPattern = allowlist.find((p) => !/^[^\s]{1,128}$/.test(p));
  if (badPattern !== undefined) r.problem(`INGEST_NF_ALLOWLIST: "${badPattern}" is not a name or a * pattern`);
  return {
    monitor: {
      alertEmails: commaList(r.optional('ALERT_EMAILS')),
      alertEvalIntervalS: r.int('ALERT_EVAL_INTERVAL_S', 10, 1, 3600),
      metricsRetentionS: r.duration('METRICS_RETENTION', 30 * 86400, 60),
      ingestTokenSha256: tokenHash(r.optional('INGEST_TOKEN')),
      ingestNfAllowlist: allowlist,
      ingestNewNfPerMinute: r.int('INGEST_NEW_NF_PER_MINUTE', 20, 0, 1_000_000),
      alertGroupWaitS: r.int('ALERT_GROUP_WAIT_S', 0, 0, 3600),
      alertGroupIntervalS: r.int('ALERT_GROUP_INTERVAL_S', 300, 0, 86_400),
    },
  };
}
