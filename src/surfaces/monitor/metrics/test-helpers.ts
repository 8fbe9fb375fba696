import { SAMPLE_KEYS } from './tables.js';

/** A complete sample for `nf` with numbers as strings (as the seed's log client sends them), overridable per key. */
export function sampleFor(nf: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  for (const key of SAMPLE_KEYS) sample[key] = key === 's_nf' ? nf : key === 'dt_infotime' ? '2026-01-01 00:00:00' : '1.5';
  return { ...sample, ...overrides };
}

/** `sample` without the named keys. */
export function without(sample: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...sample };
  for (const key of keys) delete copy[key];
  return copy;
}
