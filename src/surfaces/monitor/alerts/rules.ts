import { AppError } from '../../../core/errors.js';
import { NUMERIC_KEYS, type NumericKey } from '../metrics/tables.js';

/** A rule as the evaluator and the API see it. */
export interface AlertRule {
  name: string;
  field: NumericKey;
  window_s: number;
  threshold: number;
  clear_threshold: number;
  for_s: number;
  repeat_s: number;
  enabled: boolean;
}

/** The state the evaluator keeps per (rule, NF); absent = ok. */
export interface InstanceState {
  state: 'pending' | 'firing';
  since: number;
  last_notified_at: number | null;
}

/**
 * What one evaluation does for one (rule, NF): the whole state machine, free of I/O.
 * ok -> pending (above threshold, `for` not yet served) -> firing -> (below the clear
 * threshold) resolved = ok again; a reminder every `repeat` while firing.
 */
export type AlertStep = 'none' | 'start-pending' | 'drop-pending' | 'fire' | 'remind' | 'resolve';

/** Decides the step for one (rule, NF) given the window average (null: no samples in the window). */
export function nextAlertStep(rule: AlertRule, current: InstanceState | undefined, average: number | null, now: number): AlertStep {
  if (average === null) return current?.state === 'pending' ? 'drop-pending' : 'none';
  const above = average > rule.threshold;
  if (!current) {
    if (!above) return 'none';
    return rule.for_s === 0 ? 'fire' : 'start-pending';
  }
  if (current.state === 'pending') {
    if (!above) return 'drop-pending';
    return now - current.since >= rule.for_s * 1000 ? 'fire' : 'none';
  }
  if (average < rule.clear_threshold) return 'resolve';
  const last = current.last_notified_at ?? current.since;
  return rule.repeat_s > 0 && now - last >= rule.repeat_s * 1000 ? 'remind' : 'none';
}

/** The notice body shared by Socket.IO, the hub topic and the history (monitor.md, key order included). */
export interface AlertBody {
  message: string;
  s_nf: string;
  state: 'firing' | 'resolved';
  rule: string;
  at: string;
  [average: `average_${string}`]: number;
}

/** `s_cpu` -> `average_cpu`: the body key carrying the window average. */
export function averageKey(field: string): `average_${string}` {
  return `average_${field.replace(/^s_/, '')}`;
}

function label(field: string): string {
  const bare = field.replace(/^s_/, '');
  return bare === 'cpu' ? 'CPU' : bare.charAt(0).toUpperCase() + bare.slice(1);
}

/** "High CPU Usage" / "CPU usage back to normal" (the spec's words), the same pattern for other fields. */
export function alertMessage(field: string, state: 'firing' | 'resolved'): string {
  return state === 'firing' ? `High ${label(field)} Usage` : `${label(field)} usage back to normal`;
}

/** Builds the exact notice body; the average is rounded to two decimals. */
export function alertBody(rule: Pick<AlertRule, 'name' | 'field'>, sNf: string, state: 'firing' | 'resolved', average: number, at: number): AlertBody {
  return {
    message: alertMessage(rule.field, state),
    [averageKey(rule.field)]: Math.round(average * 100) / 100,
    s_nf: sNf,
    state,
    rule: rule.name,
    at: new Date(at).toISOString(),
  } as AlertBody;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELDS = ['name', 'field', 'window_s', 'threshold', 'clear_threshold', 'for_s', 'repeat_s', 'enabled'];

function bad(message: string): never {
  throw new AppError('bad_request', message);
}

function wholeNumber(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${key} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function finite(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${key} must be a number`);
  return value;
}

/**
 * Validates one rule from a PUT body. A rule that exists may be sent partially (the rest
 * is kept); a new one needs `field`, `threshold` and `clear_threshold` and takes the
 * defaults (60 s window, for 0, repeat 3600, enabled) for the others.
 */
export function parseAlertRule(input: unknown, existing: AlertRule | undefined): AlertRule {
  if (!input || typeof input !== 'object' || Array.isArray(input)) bad('each rule must be a JSON object');
  const raw = input as Record<string, unknown>;
  const unknownKey = Object.keys(raw).find((k) => !FIELDS.includes(k));
  if (unknownKey) bad(`unknown rule property: ${unknownKey}`);
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) bad('name must be 1-64 letters, digits, "_", "." or "-"');
  if (!existing) {
    for (const key of ['field', 'threshold', 'clear_threshold']) if (raw[key] === undefined) bad(`${key} is required for a new rule`);
  }
  const base = existing ?? { name: raw.name, field: 's_cpu', window_s: 60, threshold: 0, clear_threshold: 0, for_s: 0, repeat_s: 3600, enabled: true };
  const pick = <T>(key: string, check: (v: unknown) => T, fallback: T): T => (raw[key] === undefined ? fallback : check(raw[key]));
  const rule: AlertRule = {
    name: raw.name,
    field: pick('field', (v) => {
      if (typeof v !== 'string' || !(NUMERIC_KEYS as readonly string[]).includes(v)) bad(`field must be one of ${NUMERIC_KEYS.join(', ')}`);
      return v as NumericKey;
    }, base.field),
    window_s: pick('window_s', (v) => wholeNumber(v, 'window_s', 1, 86_400), base.window_s),
    threshold: pick('threshold', (v) => finite(v, 'threshold'), base.threshold),
    clear_threshold: pick('clear_threshold', (v) => finite(v, 'clear_threshold'), base.clear_threshold),
    for_s: pick('for_s', (v) => wholeNumber(v, 'for_s', 0, 86_400), base.for_s),
    repeat_s: pick('repeat_s', (v) => wholeNumber(v, 'repeat_s', 0, 30 * 86_400), base.repeat_s),
    enabled: pick('enabled', (v) => (typeof v === 'boolean' ? v : bad('enabled must be true or false')), base.enabled),
  };
  if (!(rule.clear_threshold < rule.threshold)) bad('clear_threshold must be lower than threshold');
  return rule;
}
