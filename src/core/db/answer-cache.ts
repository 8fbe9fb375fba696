import type { Kysely } from 'kysely';
import { committedVersion, declareCachedTables } from './prepared-query.js';

/** How an answer is known to be current where the database gives no commit version (PostgreSQL). */
export interface AnswerFreshness {
  /** A cheap read that moves whenever the answer may change (the newest id of a list). */
  mark(): Promise<unknown>;
  /** The longest an answer is served again while the mark holds: changes the mark misses show within it. */
  maxAgeMs: number;
}

interface Entry {
  version: number | null;
  mark: unknown;
  readAt: number;
  text: string;
}

/**
 * Answers already serialised (a page of a list as JSON text), per database handle and key,
 * served again while they are known to be current: while `committedVersion` of their tables
 * has not moved (on SQLite any commit from any process moves it; on PostgreSQL any write to
 * those tables from any node, see write-version.ts), so an answer is never stale. Where there
 * is no version (a node out of touch with the others) only when the caller gives a
 * `freshness` rule, else always read anew.
 */
export class AnswerCache {
  private readonly byDb = new WeakMap<Kysely<any>, Map<string, Entry>>();

  /**
   * `tables`: every table an answer is read from, so a write to any of them, on any node,
   * drops it; `maxEntries`: answers kept per database before they are all dropped.
   */
  constructor(
    private readonly tables: readonly string[],
    private readonly maxEntries = 256,
  ) {
    declareCachedTables(tables);
  }

  /** The answer for `key`, built with `build` when none is current; `now` from the app's clock. */
  async get(db: Kysely<any>, key: string, now: number, build: () => Promise<string>, freshness?: AnswerFreshness): Promise<string> {
    const version = committedVersion(db, this.tables);
    if (version === null && !freshness) return build();
    let entries = this.byDb.get(db);
    if (!entries) this.byDb.set(db, (entries = new Map()));
    const mark = version === null ? await freshness!.mark() : null;
    const cached = entries.get(key);
    if (cached && current(cached, version, mark, now, freshness)) return cached.text;
    const text = await build();
    if (entries.size >= this.maxEntries) entries.clear();
    entries.set(key, { version, mark, readAt: now, text });
    return text;
  }

  /** Forgets every answer kept for `db` (a change this node made that no version or mark shows). */
  forget(db: Kysely<any>): void {
    this.byDb.get(db)?.clear();
  }
}

function current(entry: Entry, version: number | null, mark: unknown, now: number, freshness: AnswerFreshness | undefined): boolean {
  if (version !== null) return entry.version === version;
  return entry.mark === mark && now >= entry.readAt && now - entry.readAt < freshness!.maxAgeMs;
}
