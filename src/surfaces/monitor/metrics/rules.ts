import { AppError } from '../../../core/errors.js';
import { NUMERIC_KEYS, SAMPLE_KEYS, type NumericKey } from './tables.js';

/** A sample's 15 values exactly as the client sent them (strings or numbers). */
export type SampleValues = Record<(typeof SAMPLE_KEYS)[number], string | number>;

/** A validated sample ready to store: the values as sent, the NF name and each measurement parsed. */
export interface SampleInput {
  s_nf: string;
  dt_infotime: string;
  values: SampleValues;
  numbers: Record<NumericKey, number | null>;
}

/** Longest NF name accepted; NF names are short identifiers such as `amf` or `upf-2`. */
export const MAX_NF_NAME_LENGTH = 256;

/** Most samples one batch request may carry. */
export const MAX_BATCH_SAMPLES = 1000;

/**
 * A measurement as a number when it parses as a finite one (`"12.5"`, `12.5`), else null:
 * empty strings and words are stored as sent but do not count in averages or charts.
 */
export function measurementOf(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === '') return null;
  const n = Number(value);
  // Number() reads blank text as 0, so only a zero needs the (rare) blank check.
  if (n === 0 && value.trim() === '') return null;
  return Number.isFinite(n) ? n : null;
}

/** True for a value a sample may carry: a string or a finite number. */
function isSampleValue(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Checks one posted sample in the order the contract states: an object, then every key
 * present (404 "Missing title" for the first absent one), then each value's type.
 * `where` prefixes messages in a batch (`Item 3: `). Throws AppError otherwise.
 * One pass serves a valid sample (the ingest hot path); the first problem sends the
 * sample through `sampleProblem`, which finds the error the contract's order names.
 */
export function parseSample(body: unknown, where = ''): SampleInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('bad_request', `${where}Body must be a JSON object`);
  }
  const r = body as Record<string, unknown>;
  // One object literal (one hidden class) instead of 15 keyed stores: this is most of the check's cost.
  const values = ({
    dt_infotime: r.dt_infotime, s_attemp: r.s_attemp, s_cpu: r.s_cpu, s_disk: r.s_disk, s_diskin: r.s_diskin,
    s_diskout: r.s_diskout, s_error: r.s_error, s_load: r.s_load, s_loss: r.s_loss, s_memory: r.s_memory,
    s_nf: r.s_nf, s_size: r.s_size, s_system: r.s_system, s_traffic: r.s_traffic, s_transfer: r.s_transfer,
  } satisfies Record<keyof SampleValues, unknown>) as SampleValues;
  for (let i = 0; i < SAMPLE_KEYS.length; i++) {
    const key = SAMPLE_KEYS[i]!;
    if (!isSampleValue(values[key]) || !Object.hasOwn(r, key)) throw sampleProblem(r, where);
  }
  const nf = values.s_nf;
  if (typeof nf !== 'string' || nf.trim() === '') {
    throw new AppError('bad_request', `${where}s_nf must be a non-empty string`, { field: 's_nf' });
  }
  if (nf.length > MAX_NF_NAME_LENGTH) {
    throw new AppError('bad_request', `${where}s_nf must be at most ${MAX_NF_NAME_LENGTH} characters`, { field: 's_nf' });
  }
  const v = values;
  const numbers: Record<NumericKey, number | null> = {
    s_attemp: measurementOf(v.s_attemp), s_cpu: measurementOf(v.s_cpu), s_disk: measurementOf(v.s_disk),
    s_diskin: measurementOf(v.s_diskin), s_diskout: measurementOf(v.s_diskout), s_error: measurementOf(v.s_error),
    s_load: measurementOf(v.s_load), s_loss: measurementOf(v.s_loss), s_memory: measurementOf(v.s_memory),
    s_size: measurementOf(v.s_size), s_system: measurementOf(v.s_system), s_traffic: measurementOf(v.s_traffic),
    s_transfer: measurementOf(v.s_transfer),
  };
  return { s_nf: nf, dt_infotime: String(values.dt_infotime), values, numbers };
}

/** The contract's first error for a sample known to have one: the first absent key, else the first badly typed value. */
function sampleProblem(record: Record<string, unknown>, where: string): AppError {
  for (const key of SAMPLE_KEYS) {
    if (!Object.hasOwn(record, key)) return new AppError('not_found', `${where}Missing title: ${key}`);
  }
  for (const key of SAMPLE_KEYS) {
    if (!isSampleValue(record[key])) return new AppError('bad_request', `${where}${key} must be a string or a finite number`, { field: key });
  }
  return new AppError('internal', `${where}sample check disagrees with itself`);
}

/** Checks a batch body: an array of 1 to MAX_BATCH_SAMPLES samples, each named by its index when wrong. */
export function parseSampleBatch(body: unknown): SampleInput[] {
  if (!Array.isArray(body)) throw new AppError('bad_request', 'Body must be a JSON array of samples');
  if (body.length === 0 || body.length > MAX_BATCH_SAMPLES) {
    throw new AppError('bad_request', `A batch must hold 1 to ${MAX_BATCH_SAMPLES} samples, got ${body.length}`);
  }
  return body.map((item, index) => parseSample(item, `Item ${index}: `));
}

/** True when `name` is a measurement column (the only fields stats and series accept). */
export function isNumericKey(name: unknown): name is NumericKey {
  return typeof name === 'string' && (NUMERIC_KEYS as readonly string[]).includes(name);
}

/** A query-string time: epoch milliseconds (digits only) or an ISO-8601 date; null when neither. */
export function parseTimeParam(value: string): number | null {
  const trimmed = value.trim();
  if (/^\d{1,15}$/.test(trimmed)) return Number(trimmed);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}

/** A positive whole or decimal number of seconds from a query string, as milliseconds; null when invalid. */
export function parseSecondsParam(value: string, maxS: number): number | null {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) return null;
  const seconds = Number(value);
  return seconds > 0 && seconds <= maxS ? Math.round(seconds * 1000) : null;
}
