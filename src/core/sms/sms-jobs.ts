import type { App } from '../app.js';
import { FinalJobError, type JobQueue } from '../jobs/types.js';
import { createSmsProvider } from './create-provider.js';
import { SmsFinalError, type SmsMessage, type SmsProvider } from './types.js';

/**
 * Sending is a background job, so the request that asked for a code returns at once and a
 * provider outage loses nothing: transient failures are retried with exponential
 * back-off, final refusals are not. The payload carries the code in clear (the provider
 * needs it), so job queues must not log payloads.
 */

/** The job name for one verification text. */
export const SMS_JOB = 'sms.send';
/** Tries in all before a transiently failing send is given up. */
export const SMS_JOB_ATTEMPTS = 5;

/** The parts of App the SMS job needs; `jobs` is the shared job queue. */
export type SmsJobApp = Pick<App, 'config' | 'clock' | 'log'> & { readonly jobs: JobQueue };

/**
 * Registers the worker for SMS_JOB (call once, before `app.jobs.start()`). `provider`
 * defaults to the one SMS_PROVIDER names; tests may pass their own.
 */
export function registerSmsJob(app: SmsJobApp, provider: SmsProvider = createSmsProvider(app)): void {
  app.jobs.register<SmsMessage>(SMS_JOB, async (message) => {
    try {
      await provider.send(message);
    } catch (error) {
      if (error instanceof SmsFinalError) throw new FinalJobError(error.message);
      throw error; // transient (or unexpected): let the queue retry it
    }
  });
}

/** Queues one verification text; resolves with the job id once the queue accepted it. */
export async function queueSms(app: SmsJobApp, message: SmsMessage): Promise<string> {
  return app.jobs.enqueue<SmsMessage>(
    SMS_JOB,
    { phone: message.phone, code: message.code, ttlMinutes: message.ttlMinutes },
    { attempts: SMS_JOB_ATTEMPTS, backoffMs: app.config.sms.retryBaseMs },
  );
}
