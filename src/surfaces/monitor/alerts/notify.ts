import type { App } from '../../../core/app.js';
import { queueMail } from '../../../core/mail/mail-jobs.js';
import type { AlertBody } from './rules.js';

/** The hub topic `/ws` clients subscribe to; the Socket.IO endpoint relays it as event `alert`. */
export const ALERTS_TOPIC = 'alerts';

/** The `type` the hub event carries on `/ws` (Socket.IO gets the body without it). */
export const ALERT_EVENT_TYPE = 'alert';

/** Subject and text of the e-mail for one notice. */
export function alertMail(kind: 'firing' | 'reminder' | 'resolved', body: AlertBody): { subject: string; text: string } {
  const prefix = kind === 'reminder' ? 'Still firing: ' : kind === 'resolved' ? 'Resolved: ' : '';
  const averages = Object.entries(body)
    .filter(([key]) => key.startsWith('average_'))
    .map(([key, value]) => `${key}: ${value}`);
  return {
    subject: `[Stoa] ${prefix}${body.message} on ${body.s_nf}`,
    text: [
      `${body.message} on ${body.s_nf}.`,
      '',
      `rule: ${body.rule}`,
      `state: ${body.state}${kind === 'reminder' ? ' (reminder)' : ''}`,
      ...averages,
      `at: ${body.at}`,
      '',
    ].join('\n'),
  };
}

/**
 * Announces one notice: on the hub topic `alerts` (every node's `/ws` subscribers, and
 * through the Socket.IO relay every Socket.IO client as `alert`), and by e-mail to
 * ALERT_EMAILS as a background job with retries. A failure is logged, never thrown: the
 * transition and its history row are already committed.
 */
export async function publishAlert(app: App, kind: 'firing' | 'reminder' | 'resolved', body: AlertBody): Promise<void> {
  try {
    await app.hub.publish(ALERTS_TOPIC, { type: ALERT_EVENT_TYPE, ...body });
  } catch (err) {
    app.log.error({ err, rule: body.rule, s_nf: body.s_nf }, 'alert publish failed');
  }
  if (app.config.monitor.alertEmails.length === 0) return;
  try {
    await queueMail(app, { to: [...app.config.monitor.alertEmails], ...alertMail(kind, body) });
  } catch (err) {
    app.log.error({ err, rule: body.rule, s_nf: body.s_nf }, 'alert mail could not be queued');
  }
}
