import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MailMessage, Mailer } from './types.js';

/**
 * The mailer the configuration asks for: SMTP through nodemailer when `SMTP_URL` is set
 * (sender `MAIL_FROM`), otherwise a stand-in that only logs who would get what subject.
 * Neither logs a body: activation links and alerts carry codes.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom'>, log: Pick<Logger, 'info'>): Mailer {
  return config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : createLogMailer(log);
}

/** Delivers over SMTP; rejects with nodemailer's error (its `responseCode` tells 4xx from 5xx). */
function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport(smtpUrl, { from });
  return {
    kind: 'smtp',
    send: async (message: MailMessage) => {
      await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    close: async () => transport.close(),
  };
}

/** Development stand-in: one log line per mail, recipients and subject only. */
function createLogMailer(log: Pick<Logger, 'info'>): Mailer {
  return {
    kind: 'log',
    send: async (message: MailMessage) => {
      log.info({ to: message.to, subject: message.subject }, 'mail not sent (no SMTP_URL); logged instead');
    },
    close: async () => {},
  };
}
