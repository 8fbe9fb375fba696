import type { SampleInput } from './rules.js';
import { NUMERIC_KEYS } from './tables.js';

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

/** Appends one sample, received at `receivedAt`, to `out` as ROW_WIDTH column values. */
export function encodeSampleRow(out: EncodedRows, sample: SampleInput, receivedAt: number): void {
  const n = sample.numbers;
  out.push(
    sample.s_nf,
    receivedAt,
    sample.dt_infotime,
    JSON.stringify(sample.values),
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
