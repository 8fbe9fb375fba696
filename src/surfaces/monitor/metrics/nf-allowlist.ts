import { AppError } from '../../../core/errors.js';

/** One allow-list entry as a whole-name test: `*` matches any run of characters, all else literally. */
function entryPattern(entry: string): RegExp {
  const literal = entry.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}

/** A compiled INGEST_NF_ALLOWLIST; `allows` is true for every name when the list is empty. */
export interface NfAllowlist {
  allows(nf: string): boolean;
}

const cache = new WeakMap<readonly string[], NfAllowlist>();

/** The allow-list for these entries, compiled once per config. */
export function nfAllowlist(entries: readonly string[]): NfAllowlist {
  let list = cache.get(entries);
  if (!list) {
    const patterns = entries.map(entryPattern);
    list = { allows: (nf) => patterns.length === 0 || patterns.some((p) => p.test(nf)) };
    cache.set(entries, list);
  }
  return list;
}

/**
 * Refuses the whole request (AppError 'forbidden', 403) when any sample names an NF the
 * allow-list does not hold; a batch is all or nothing, as for any other bad item, so an
 * acknowledged batch always means every sample in it was stored.
 */
export function requireAllowedNfs(entries: readonly string[], names: readonly string[], itemPrefix: boolean): void {
  const list = nfAllowlist(entries);
  const refused = names.findIndex((nf) => !list.allows(nf));
  if (refused === -1) return;
  const where = itemPrefix ? `Item ${refused}: ` : '';
  throw new AppError('forbidden', `${where}s_nf not allowed: ${names[refused]}`);
}
