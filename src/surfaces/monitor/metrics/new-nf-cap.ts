import type { App } from '../../../core/app.js';
import { AppError } from '../../../core/errors.js';
import { knownNodeNames } from './repo.js';

const MINUTE_MS = 60_000;

/** Names this node already knows are stored, so they skip the lookup; dropped past this size. */
const MAX_REMEMBERED = 100_000;

const remembered = new WeakMap<App, Set<string>>();

function knownSet(app: App): Set<string> {
  let known = remembered.get(app);
  if (!known) {
    known = new Set();
    remembered.set(app, known);
  }
  return known;
}

/** Records names as stored (after their samples committed), so later requests skip the lookup. */
export function rememberStoredNfs(app: App, names: Iterable<string>): void {
  const known = knownSet(app);
  for (const nf of names) {
    if (known.size >= MAX_REMEMBERED) known.clear();
    known.add(nf);
  }
}

/**
 * Spends INGEST_NEW_NF_PER_MINUTE for the names of a request that have never been stored
 * (not in nf_nodes). The budget is a per-minute counter in shared state, so it holds
 * across nodes; a name admitted this minute is marked there too and not counted again.
 * Past the budget the request is refused with AppError 'rate_limited' and Retry-After up
 * to the next minute. Names already stored are never counted.
 */
export async function spendNewNfBudget(app: App, names: Iterable<string>): Promise<void> {
  const cap = app.config.monitor.ingestNewNfPerMinute;
  if (cap === 0) return;
  const known = knownSet(app);
  const unknown = [...new Set(names)].filter((nf) => !known.has(nf));
  if (unknown.length === 0) return;
  const stored = await knownNodeNames(app.db, unknown);
  rememberStoredNfs(app, stored);
  const kv = app.state.kv;
  for (const nf of unknown) {
    if (stored.has(nf)) continue;
    if (!(await kv.setIfAbsent(`monitor:new-nf:${nf}`, '1', MINUTE_MS))) continue;
    const now = app.clock.now();
    const minute = Math.floor(now / MINUTE_MS);
    const spent = await kv.increment(`monitor:new-nf-count:${minute}`, 2 * MINUTE_MS);
    if (spent > cap) {
      await kv.delete(`monitor:new-nf:${nf}`);
      throw new AppError('rate_limited', `Too many new s_nf names, at most ${cap} a minute: ${nf}`, {
        retryAfterMs: (minute + 1) * MINUTE_MS - now,
      });
    }
  }
}
