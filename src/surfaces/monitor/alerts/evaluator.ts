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
import { dueAfterGroupWait } from './group-wait.js';
import { publishAlertNotices } from './notify.js';
import { metricsReadThreadFor } from '../metrics/service.js';

/** One notice an evaluation produced: firing, a reminder of a firing alert, or resolved. */
export interface AlertNotice {
  kind: 'firing' | 'reminder' | 'resolved';
  body: AlertBody;
  historyId: number;
}

const running = new WeakMap<App, Promise<AlertNotice[]>>();

/**
 * Runs every enabled rule once, as of `app.clock.now()`, and sends the notices that
 * result, grouped per rule and kind (one message per channel for all NFs that changed
 * together, after ALERT_GROUP_WAIT_S; a firing NF is reminded at most every
 * ALERT_GROUP_INTERVAL_S). Returns the notices this evaluation produced, sent or held.
 * State lives in `alert_instances` and every transition is a conditional write, so a
 * restart never re-fires and two evaluators racing cannot both notify. Calls that
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
  const rules = await listAlertRules(app.db);
  for (const rule of rules) {
    if (!rule.enabled) continue;
    notices.push(...(await evaluateRule(app, rule, now)));
  }
  await publishAlertNotices(app, await dueAfterGroupWait(app, rules.map((r) => r.name), notices));
  return notices;
}

async function evaluateRule(app: App, rule: AlertRule, now: number): Promise<AlertNotice[]> {
  const averages = await windowAveragesByNf(app.db, app.dialect, rule.field, now - rule.window_s * 1000, now, {
    reader: () => metricsReadThreadFor(app),
  });
  const instances = await instancesOfRule(app.db, rule.name);
  const nfs = new Set([...averages.keys(), ...instances.keys()]);
  // ALERT_GROUP_INTERVAL_S: a firing NF is reminded at most this often, whatever the rule's repeat.
  const paced = rule.repeat_s > 0 ? { ...rule, repeat_s: Math.max(rule.repeat_s, app.config.monitor.alertGroupIntervalS) } : rule;
  const notices: AlertNotice[] = [];
  for (const nf of [...nfs].sort()) {
    const average = averages.get(nf) ?? null;
    const instance = instances.get(nf);
    const step = nextAlertStep(paced, instance, average, now);
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
