/** An e-mail as surfaces describe it. */
export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

/** Delivers mail now (SMTP through nodemailer, or a log-only stand-in in development). Surfaces queue mail through `queueMail` instead of calling this. */
export interface Mailer {
  readonly kind: 'smtp' | 'log';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
