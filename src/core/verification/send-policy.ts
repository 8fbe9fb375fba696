import type { App } from '../app.js';

/**
 * Abuse limits for SMS sends, checked before a code is stored or queued: one send per
 * phone per SMS_PER_PHONE_INTERVAL_S, SMS_PER_PHONE_DAILY per phone, SMS_PER_IP_HOURLY per
 * client IP, SMS_GLOBAL_DAILY in all. Everything lives in shared state, so with Redis the
 * limits hold across nodes.
 */

/** Which limit refused a send; surfaces answer "too frequent" for every one. */
export type SmsRefusal = 'interval' | 'phone_daily' | 'ip_hourly' | 'global_daily';

/** The verdict of `reserveSmsSend`. */
export type SmsReservation = { allowed: true } | { allowed: false; reason: SmsRefusal; retryAfterS: number };

function intervalKey(phone: string): string {
  return `sms-interval:${phone}`;
}

function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Reserves one send to `phone` for a request from `ip`, or says which limit refuses it.
 * The interval is an atomic set-if-absent, so of many concurrent requests for one phone
 * exactly one passes. The caps are checked narrowest-abuser first (IP, then phone, then
 * global); a refused request may have spent from the budgets checked before the one that
 * refused it, which errs on the safe side. When a cap refuses, the interval is released
 * again, so it only ever marks a send that really happens.
 */
export async function reserveSmsSend(
  app: Pick<App, 'state' | 'config'>,
  request: { phone: string; ip: string },
): Promise<SmsReservation> {
  const { kv, limits } = app.state;
  const sms = app.config.sms;
  const key = intervalKey(request.phone);
  const intervalMs = sms.perPhoneIntervalS * 1000;
  if (!(await kv.setIfAbsent(key, '1', intervalMs))) {
    return { allowed: false, reason: 'interval', retryAfterS: toSeconds((await kv.ttlMs(key)) ?? intervalMs) };
  }
  const caps: Array<{ reason: SmsRefusal; name: string; points: number; durationS: number; key: string }> = [
    { reason: 'ip_hourly', name: 'sms-ip-hourly', points: sms.perIpHourly, durationS: 3600, key: request.ip },
    { reason: 'phone_daily', name: 'sms-phone-daily', points: sms.perPhoneDaily, durationS: 86400, key: request.phone },
    { reason: 'global_daily', name: 'sms-global-daily', points: sms.globalDaily, durationS: 86400, key: 'all' },
  ];
  for (const cap of caps) {
    const decision = await limits.create(cap.name, { points: cap.points, durationS: cap.durationS }).consume(cap.key);
    if (!decision.allowed) {
      await kv.delete(key);
      return { allowed: false, reason: cap.reason, retryAfterS: toSeconds(decision.retryAfterMs) };
    }
  }
  return { allowed: true };
}

/** Forgets the per-phone interval, e.g. when the send could not even be queued. */
export async function releaseSmsInterval(app: Pick<App, 'state'>, phone: string): Promise<void> {
  await app.state.kv.delete(intervalKey(phone));
}
