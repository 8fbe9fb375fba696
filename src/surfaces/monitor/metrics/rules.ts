import { AppError } from '../../../core/errors.js';
import { sampleValuesFromRaw, type EncodedRows } from './sample-rows.js';
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
 * present (404 "Missing title" for the first absent one), then each value's type, then
 * the NF name; throws AppError otherwise. A valid sample is appended to `out` as one
 * encoded row received at `receivedAt` (sample-rows.ts), straight from the parsed body:
 * this is the ingest hot path, so it reads each key once and builds no object per sample.
 * `where` prefixes messages in a batch (`Item 3: `).
 */
export function appendPostedSample(out: EncodedRows, body: unknown, receivedAt: number, where = ''): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('bad_request', `${where}Body must be a JSON object`);
  }
  const r = body as Record<string, unknown>;
  const dt = r.dt_infotime, attemp = r.s_attemp, cpu = r.s_cpu, disk = r.s_disk, diskin = r.s_diskin;
  const diskout = r.s_diskout, error = r.s_error, load = r.s_load, loss = r.s_loss, memory = r.s_memory;
  const nf = r.s_nf, size = r.s_size, system = r.s_system, traffic = r.s_traffic, transfer = r.s_transfer;
  // An absent key reads as undefined, which fails isSampleValue (a parsed body inherits only
  // Object.prototype's properties, and no sample key is one of them).
  if (
    !(isSampleValue(dt) && isSampleValue(attemp) && isSampleValue(cpu) && isSampleValue(disk) && isSampleValue(diskin) &&
      isSampleValue(diskout) && isSampleValue(error) && isSampleValue(load) && isSampleValue(loss) && isSampleValue(memory) &&
      isSampleValue(nf) && isSampleValue(size) && isSampleValue(system) && isSampleValue(traffic) && isSampleValue(transfer))
  ) {
    throw sampleProblem(r, where);
  }
  if (typeof nf !== 'string' || nf.trim() === '') {
    throw new AppError('bad_request', `${where}s_nf must be a non-empty string`, { field: 's_nf' });
  }
  if (nf.length > MAX_NF_NAME_LENGTH) {
    throw new AppError('bad_request', `${where}s_nf must be at most ${MAX_NF_NAME_LENGTH} characters`, { field: 's_nf' });
  }
  // Column order: SAMPLE_COLUMNS; raw in SAMPLE_KEYS order (see rawSampleValues).
  out.push(
    nf,
    receivedAt,
    String(dt),
    JSON.stringify([dt, attemp, cpu, disk, diskin, diskout, error, load, loss, memory, nf, size, system, traffic, transfer]),
    measurementOf(attemp), measurementOf(cpu), measurementOf(disk), measurementOf(diskin), measurementOf(diskout),
    measurementOf(error), measurementOf(load), measurementOf(loss), measurementOf(memory), measurementOf(size),
    measurementOf(system), measurementOf(traffic), measurementOf(transfer),
  );
}

/** Checks one posted sample (as appendPostedSample does) and returns it as a SampleInput. */
export function parseSample(body: unknown, where = ''): SampleInput {
  const row: EncodedRows = [];
  appendPostedSample(row, body, 0, where);
  const values = sampleValuesFromRaw(row[3] as string) as SampleValues;
  const numbers = Object.fromEntries(NUMERIC_KEYS.map((key, i) => [key, row[4 + i]])) as Record<NumericKey, number | null>;
  return { s_nf: values.s_nf as string, dt_infotime: row[2] as string, values, numbers };
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

/**
 * Checks a batch body (an array of 1 to MAX_BATCH_SAMPLES samples, each named by its
 * index when wrong) and encodes it, every sample received at `receivedAt`.
 */
export function encodePostedBatch(body: unknown, receivedAt: number): EncodedRows {
  if (!Array.isArray(body)) throw new AppError('bad_request', 'Body must be a JSON array of samples');
  if (body.length === 0 || body.length > MAX_BATCH_SAMPLES) {
    throw new AppError('bad_request', `A batch must hold 1 to ${MAX_BATCH_SAMPLES} samples, got ${body.length}`);
  }
  const out: EncodedRows = [];
  for (let i = 0; i < body.length; i++) appendPostedSample(out, body[i], receivedAt, `Item ${i}: `);
  return out;
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
