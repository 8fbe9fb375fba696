import type { App } from '../../../core/app.js';
import { AppError } from '../../../core/errors.js';
import { latestAlertHistory, listAlertRules, saveAlertRule, type AlertHistoryRow } from './repo.js';
import { alertBody, parseAlertRule, type AlertBody, type AlertRule } from './rules.js';

/** Page size of `GET /nfs/alerts` when no `limit` is given. */
export const HISTORY_DEFAULT_LIMIT = 50;

/** Largest `limit` `GET /nfs/alerts` accepts. */
export const HISTORY_MAX_LIMIT = 500;

/** Most rules one PUT may carry. */
export const MAX_RULES_PER_PUT = 100;

/** Every rule, for `GET /nfs/alert-rules`. */
export function alertRules(app: App): Promise<AlertRule[]> {
  return listAlertRules(app.db);
}

/**
 * Applies a PUT body: one rule object or an array of them, each matched by `name`
 * (created when new, otherwise changed in the fields given). All or nothing: every rule
 * is validated before any is written. Returns every rule afterwards.
 */
export async function updateAlertRules(app: App, body: unknown): Promise<AlertRule[]> {
  if (body === undefined || body === null) throw new AppError('bad_request', 'Body must be a rule object or an array of rules');
  const inputs = Array.isArray(body) ? body : [body];
  if (inputs.length === 0) throw new AppError('bad_request', 'Body must hold at least one rule');
  if (inputs.length > MAX_RULES_PER_PUT) throw new AppError('bad_request', `At most ${MAX_RULES_PER_PUT} rules per request`);
  const now = app.clock.now();
  return app.db.transaction().execute(async (tx) => {
    const existing = new Map((await listAlertRules(tx)).map((r) => [r.name, r]));
    const seen = new Set<string>();
    const parsed = inputs.map((input) => {
      const name = (input as { name?: unknown } | null)?.name;
      const rule = parseAlertRule(input, typeof name === 'string' ? existing.get(name) : undefined);
      if (seen.has(rule.name)) throw new AppError('bad_request', `rule ${rule.name} appears twice`);
      seen.add(rule.name);
      return rule;
    });
    for (const rule of parsed) await saveAlertRule(tx, rule, now);
    return listAlertRules(tx);
  });
}

/** A history row on the wire: the notice body as it was sent, plus its id and whether it was a reminder. */
export type AlertHistoryJson = AlertBody & { id: number; reminder: boolean };

function historyJson(row: AlertHistoryRow): AlertHistoryJson {
  const state = row.kind === 'resolved' ? 'resolved' : 'firing';
  return { id: row.id, ...alertBody({ name: row.rule_name, field: row.field as AlertRule['field'] }, row.s_nf, state, row.value, row.at), reminder: row.kind === 'reminder' };
}

/** Parses `limit` (default 50, 1..500); anything else is a 400. */
export function parseHistoryLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return HISTORY_DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= HISTORY_MAX_LIMIT)) {
    throw new AppError('bad_request', `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}`);
  }
  return limit;
}

/** The newest notices, optionally for one NF, for `GET /nfs/alerts`. */
export async function alertHistory(app: App, sNf: string | null, rawLimit: string | undefined): Promise<AlertHistoryJson[]> {
  const rows = await latestAlertHistory(app.db, sNf, parseHistoryLimit(rawLimit));
  return rows.map(historyJson);
}
