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
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Checks one posted sample in the order the contract states: an object, then every key
 * present (404 "Missing title" for the first absent one), then each value's type.
 * `where` prefixes messages in a batch (`Item 3: `). Throws AppError otherwise.
 */
export function parseSample(body: unknown, where = ''): SampleInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('bad_request', `${where}Body must be a JSON object`);
  }
  const record = body as Record<string, unknown>;
  for (const key of SAMPLE_KEYS) {
    if (!Object.hasOwn(record, key)) throw new AppError('not_found', `${where}Missing title: ${key}`);
  }
  const values = {} as SampleValues;
  for (const key of SAMPLE_KEYS) {
    const value = record[key];
    if (typeof value === 'string') values[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) values[key] = value;
    else throw new AppError('bad_request', `${where}${key} must be a string or a finite number`, { field: key });
  }
  const nf = values.s_nf;
  if (typeof nf !== 'string' || nf.trim() === '') {
    throw new AppError('bad_request', `${where}s_nf must be a non-empty string`, { field: 's_nf' });
  }
  if (nf.length > MAX_NF_NAME_LENGTH) {
    throw new AppError('bad_request', `${where}s_nf must be at most ${MAX_NF_NAME_LENGTH} characters`, { field: 's_nf' });
  }
  const numbers = {} as Record<NumericKey, number | null>;
  for (const key of NUMERIC_KEYS) numbers[key] = measurementOf(values[key]);
  return { s_nf: nf, dt_infotime: String(values.dt_infotime), values, numbers };
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
