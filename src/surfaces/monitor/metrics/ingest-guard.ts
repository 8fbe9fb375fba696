import type { App } from '../../../core/app.js';
import { requireAllowedNfs } from './nf-allowlist.js';
import { rememberStoredNfs, spendNewNfBudget } from './new-nf-cap.js';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';

/** The s_nf of every encoded sample, in order. */
export function nfNamesOf(rows: EncodedRows): string[] {
  const names: string[] = [];
  for (let r = 0; r < rows.length; r += ROW_WIDTH) names.push(rows[r] as string);
  return names;
}

/**
 * Checks validated samples against INGEST_NF_ALLOWLIST (403) and INGEST_NEW_NF_PER_MINUTE
 * (429), then stores them with `store` and records their names as known. A refusal
 * refuses the whole request before anything is written, so a 200 still means every
 * sample sent was committed. The token (INGEST_TOKEN) is checked before the body is read.
 */
export async function admitAndStore(app: App, rows: EncodedRows, batch: boolean, store: () => Promise<void>): Promise<void> {
  const names = nfNamesOf(rows);
  requireAllowedNfs(app.config.monitor.ingestNfAllowlist, names, batch);
  await spendNewNfBudget(app, names);
  await store();
  rememberStoredNfs(app, names);
}
