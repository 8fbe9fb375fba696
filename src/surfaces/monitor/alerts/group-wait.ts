import type { App } from '../../../core/app.js';
import type { NoticeKind } from './notice-groups.js';
import type { AlertBody } from './rules.js';

/** A notice on its way out: what happened to which NF. */
export interface OutgoingNotice {
  kind: NoticeKind;
  body: AlertBody;
}

interface HeldGroup {
  dueAt: number;
  notices: OutgoingNotice[];
}

const KINDS: readonly NoticeKind[] = ['firing', 'reminder', 'resolved'];
const holdKey = (rule: string, kind: NoticeKind) => `monitor:alert-hold:${rule}:${kind}`;

/** Longer than any wait, so a held group outlives a missed evaluation or two. */
const HOLD_TTL_MS = 86_400_000;

/**
 * ALERT_GROUP_WAIT_S (Alertmanager's group_wait): a group's first notice is held in shared
 * state for that long, and notices of the same rule and kind that arrive meanwhile join
 * it; the evaluation at or after the due time sends them together. Returns what is due now
 * (held notices first), in the order they came. With a wait of 0, everything is due.
 * The history rows are written before any of this, so a held notice lost with its store
 * (an in-process store on a node that stops) is still in `GET /nfs/alerts`.
 */
export async function dueAfterGroupWait(app: App, rules: readonly string[], fresh: readonly OutgoingNotice[]): Promise<OutgoingNotice[]> {
  const waitMs = app.config.monitor.alertGroupWaitS * 1000;
  const now = app.clock.now();
  const kv = app.state.kv;
  const due: OutgoingNotice[] = [];
  const names = new Set([...rules, ...fresh.map((n) => n.body.rule)]);
  for (const rule of names) {
    for (const kind of KINDS) {
      const arriving = fresh.filter((n) => n.body.rule === rule && n.kind === kind);
      const key = holdKey(rule, kind);
      const stored = await kv.get(key);
      if (stored === null && arriving.length === 0) continue;
      const held: HeldGroup = stored === null ? { dueAt: now + waitMs, notices: [] } : (JSON.parse(stored) as HeldGroup);
      held.notices.push(...arriving);
      if (held.dueAt <= now) {
        if (stored !== null) await kv.delete(key);
        due.push(...held.notices);
      } else {
        await kv.set(key, JSON.stringify(held), HOLD_TTL_MS);
      }
    }
  }
  return due;
}
