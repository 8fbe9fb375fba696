/**
 * Sending SMS verification codes. Providers are behind one small interface so the job
 * that sends, the limits and the tests never depend on a particular vendor.
 */

/** One verification text: `code` for `phone`, valid `ttlMinutes` (shown in the template). */
export interface SmsMessage {
  phone: string;
  code: string;
  ttlMinutes: number;
}

/** A way to deliver texts; `send` resolves once the provider accepted the message. */
export interface SmsProvider {
  readonly name: string;
  /** Throws SmsTransientError (worth retrying) or SmsFinalError (retrying cannot help). */
  send(message: SmsMessage): Promise<void>;
}

/** The provider may accept the same message later: outage, HTTP 5xx, network error, timeout. */
export class SmsTransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmsTransientError';
  }
}

/** The provider refused the message for good (rate limit, bad number, bad account); `providerCode` is its status code. */
export class SmsFinalError extends Error {
  constructor(message: string, readonly providerCode: string | null = null) {
    super(message);
    this.name = 'SmsFinalError';
  }
}

/** `13812345678` -> `138****5678`: enough to tell numbers apart in a log, not to read one off it. */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
