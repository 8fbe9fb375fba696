import type { App } from '../app.js';
import { FinalJobError, type JobQueue } from '../jobs/types.js';
import type { MailMessage, Mailer } from './types.js';

/** The job name mail travels under. */
export const MAIL_JOB = 'mail.send';

/**
 * Registers the worker that hands queued mail to the mailer. An SMTP 5xx answer is final
 * (the address or message is refused, retrying cannot help); anything else (4xx, a
 * connection that fails or times out) is retried with back-off.
 */
export function registerMailJob(jobs: JobQueue, mailer: Mailer): void {
  jobs.register<MailMessage>(
    MAIL_JOB,
    async (message) => {
      try {
        await mailer.send(message);
      } catch (err) {
        // nodemailer's message may quote the recipients; the job log keeps only these fields.
        const { code, responseCode, command } = err as { code?: string; responseCode?: number; command?: string };
        const what = `mail delivery failed: ${[command, code, responseCode].filter(Boolean).join(' ') || 'unknown error'}`;
        if (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600) throw new FinalJobError(what);
        throw new Error(what);
      }
    },
    { concurrency: 4 },
  );
}

/**
 * How surfaces send mail: queued, so the request does not wait for SMTP, and retried
 * (`MAIL_ATTEMPTS` tries, `MAIL_RETRY_BASE_MS` then doubling), so a server that is down
 * for a while still ends in one delivered mail. Resolves once the job is queued; no
 * recipients, no job.
 */
export async function queueMail(app: Pick<App, 'jobs' | 'config'>, message: MailMessage): Promise<void> {
  if (message.to.length === 0) return;
  const { to, subject, text, html } = message;
  await app.jobs.enqueue<MailMessage>(MAIL_JOB, html === undefined ? { to, subject, text } : { to, subject, text, html }, {
    attempts: app.config.mailAttempts,
    backoffMs: app.config.mailRetryBaseMs,
  });
}
