import type { App } from '../../../core/app.js';
import { queueMail } from '../../../core/mail/mail-jobs.js';
import { groupEvent, groupMail, groupNotices, type NoticeKind } from './notice-groups.js';
import type { AlertBody } from './rules.js';

/** The hub topic `/ws` clients subscribe to; the Socket.IO endpoint relays it as event `alert`. */
export const ALERTS_TOPIC = 'alerts';

/** The `type` the hub event carries on `/ws` (Socket.IO gets the body without it). */
export const ALERT_EVENT_TYPE = 'alert';

/**
 * Announces the notices of one evaluation, grouped by rule and kind (notice-groups.ts):
 * per group one event on the hub topic `alerts` (every node's `/ws` subscribers, and
 * through the Socket.IO relay every Socket.IO client as `alert`) and one e-mail to
 * ALERT_EMAILS as a background job with retries. A failure is logged, never thrown: the
 * transitions and their history rows are already committed.
 */
export async function publishAlertNotices(app: App, notices: ReadonlyArray<{ kind: NoticeKind; body: AlertBody }>): Promise<void> {
  for (const group of groupNotices(notices)) {
    const nfs = group.bodies.length;
    try {
      await app.hub.publish(ALERTS_TOPIC, { type: ALERT_EVENT_TYPE, ...groupEvent(group) });
    } catch (err) {
      app.log.error({ err, rule: group.rule, nfs }, 'alert publish failed');
    }
    if (app.config.monitor.alertEmails.length === 0) continue;
    try {
      await queueMail(app, { to: [...app.config.monitor.alertEmails], ...groupMail(group) });
    } catch (err) {
      app.log.error({ err, rule: group.rule, nfs }, 'alert mail could not be queued');
    }
  }
}
