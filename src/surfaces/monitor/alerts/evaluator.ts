import type { App } from '../../../core/app.js';
import type { Executor } from '../../../core/db/schema.js';
import {
  deleteInstance,
  insertAlertHistory,
  insertInstance,
  instancesOfRule,
  listAlertRules,
  markInstanceFiring,
  markInstanceReminded,
  windowAveragesByNf,
  type AlertInstance,
} from './repo.js';
import { alertBody, nextAlertStep, type AlertBody, type AlertRule, type AlertStep } from './rules.js';
import { publishAlert } from './notify.js';
import { metricsReadThreadFor } from '../metrics/service.js';

/** One notice an evaluation sent: firing, a reminder of a firing alert, or resolved. */
export interface AlertNotice {
  kind: 'firing' | 'reminder' | 'resolved';
  body: AlertBody;
  historyId: number;
}

const running = new WeakMap<App, Promise<AlertNotice[]>>();

/**
 * Runs every enabled rule once, as of `app.clock.now()`, and sends the notices that
 * result. State lives in `alert_instances` and every transition is a conditional write,
 * so a restart never re-fires and two evaluators racing cannot both notify. Calls that
 * overlap on one node share the evaluation in flight.
 */
export function evaluateAlerts(app: App): Promise<AlertNotice[]> {
  const inFlight = running.get(app);
  if (inFlight) return inFlight;
  const run = evaluateAll(app).finally(() => running.delete(app));
  running.set(app, run);
  return run;
}

async function evaluateAll(app: App): Promise<AlertNotice[]> {
  const now = app.clock.now();
  const notices: AlertNotice[] = [];
  for (const rule of await listAlertRules(app.db)) {
    if (!rule.enabled) continue;
    notices.push(...(await evaluateRule(app, rule, now)));
  }
  for (const notice of notices) await publishAlert(app, notice.kind, notice.body);
  return notices;
}

async function evaluateRule(app: App, rule: AlertRule, now: number): Promise<AlertNotice[]> {
  const averages = await windowAveragesByNf(app.db, app.dialect, rule.field, now - rule.window_s * 1000, now, {
    reader: () => metricsReadThreadFor(app),
  });
  const instances = await instancesOfRule(app.db, rule.name);
  const nfs = new Set([...averages.keys(), ...instances.keys()]);
  const notices: AlertNotice[] = [];
  for (const nf of [...nfs].sort()) {
    const average = averages.get(nf) ?? null;
    const instance = instances.get(nf);
    const step = nextAlertStep(rule, instance, average, now);
    if (step === 'none') continue;
    const notice = await app.db.transaction().execute((tx) => applyStep(tx, rule, nf, instance, step, average, now));
    if (notice) notices.push(notice);
  }
  return notices;
}

/** Writes one transition and its history row together; null when there is nothing to announce or another evaluator won. */
async function applyStep(
  tx: Executor,
  rule: AlertRule,
  nf: string,
  instance: AlertInstance | undefined,
  step: Exclude<AlertStep, 'none'>,
  average: number | null,
  now: number,
): Promise<AlertNotice | null> {
  const value = average ?? instance?.last_value ?? 0;
  let kind: AlertNotice['kind'];
  switch (step) {
    case 'start-pending':
      await insertInstance(tx, { rule_name: rule.name, s_nf: nf, state: 'pending', since: now, value });
      return null;
    case 'drop-pending':
      await deleteInstance(tx, instance!.id, 'pending');
      return null;
    case 'fire':
      kind = 'firing';
      if (instance) {
        if (!(await markInstanceFiring(tx, instance.id, now, value))) return null;
      } else if (!(await insertInstance(tx, { rule_name: rule.name, s_nf: nf, state: 'firing', since: now, value }))) {
        return null;
      }
      break;
    case 'remind':
      kind = 'reminder';
      if (!(await markInstanceReminded(tx, instance!.id, instance!.last_notified_at, now, value))) return null;
      break;
    case 'resolve':
      kind = 'resolved';
      if (!(await deleteInstance(tx, instance!.id, 'firing'))) return null;
      break;
  }
  const body = alertBody(rule, nf, kind === 'resolved' ? 'resolved' : 'firing', value, now);
  const historyId = await insertAlertHistory(tx, {
    rule_name: rule.name,
    s_nf: nf,
    kind,
    field: rule.field,
    value: Math.round(value * 100) / 100,
    message: body.message,
    at: now,
  });
  return { kind, body, historyId };
}
