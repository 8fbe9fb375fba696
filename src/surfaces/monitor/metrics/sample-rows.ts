import type { SampleInput, SampleValues } from './rules.js';
import { NUMERIC_KEYS, SAMPLE_KEYS } from './tables.js';

/** The nf_samples columns every insert path writes, in the order of an encoded row. */
export const SAMPLE_COLUMNS = ['s_nf', 'received_at', 'dt_infotime', 'raw', ...NUMERIC_KEYS] as const;

/** Values per encoded row: one per SAMPLE_COLUMNS entry. */
export const ROW_WIDTH = SAMPLE_COLUMNS.length;

/**
 * Samples ready to insert, flattened: ROW_WIDTH values per sample in SAMPLE_COLUMNS order.
 * One flat array of primitives is what crosses to the writer thread (a structured clone of
 * one array costs far less than one of many objects) and what the prepared statements bind.
 */
export type EncodedRows = Array<string | number | null>;

/**
 * The stored form of a sample's values as sent: a JSON array in SAMPLE_KEYS order. Less
 * than half the bytes of the keyed object and half its stringify time, on every sample;
 * rows written before hold the object, which readers still accept (sampleValuesFromRaw).
 */
export function rawSampleValues(sample: SampleInput): string {
  const v = sample.values;
  return JSON.stringify([
    v.dt_infotime, v.s_attemp, v.s_cpu, v.s_disk, v.s_diskin, v.s_diskout, v.s_error, v.s_load,
    v.s_loss, v.s_memory, v.s_nf, v.s_size, v.s_system, v.s_traffic, v.s_transfer,
  ] satisfies Array<SampleValues[keyof SampleValues]>);
}

/** A stored `raw` back as values keyed by sample key, in SAMPLE_KEYS order (array or legacy object form). */
export function sampleValuesFromRaw(raw: string): Record<string, unknown> {
  const parsed = JSON.parse(raw) as unknown;
  const values: Record<string, unknown> = {};
  if (Array.isArray(parsed)) SAMPLE_KEYS.forEach((key, i) => (values[key] = parsed[i]));
  else for (const key of SAMPLE_KEYS) values[key] = (parsed as Record<string, unknown>)[key];
  return values;
}

/** Appends one sample, received at `receivedAt`, to `out` as ROW_WIDTH column values. */
export function encodeSampleRow(out: EncodedRows, sample: SampleInput, receivedAt: number): void {
  const n = sample.numbers;
  out.push(
    sample.s_nf,
    receivedAt,
    sample.dt_infotime,
    rawSampleValues(sample),
    n.s_attemp,
    n.s_cpu,
    n.s_disk,
    n.s_diskin,
    n.s_diskout,
    n.s_error,
    n.s_load,
    n.s_loss,
    n.s_memory,
    n.s_size,
    n.s_system,
    n.s_traffic,
    n.s_transfer,
  );
}

/** The rows of `samples`, all received at `receivedAt`, encoded. */
export function encodeSamples(samples: readonly SampleInput[], receivedAt: number): EncodedRows {
  const out: EncodedRows = [];
  for (const sample of samples) encodeSampleRow(out, sample, receivedAt);
  return out;
}
