import type { Logger } from 'pino';
import { md5Hex } from '../../lib/crypto.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone, SmsFinalError, SmsTransientError, type SmsMessage, type SmsProvider } from './types.js';

/**
 * Ronglian Cloud (cloopen, "容联云通讯") template SMS over its 2013-12-26 REST API, as the
 * seed used it. Each request is signed with a timestamp: `sig` in the query is
 * MD5(accountSid + authToken + timestamp) in upper-case hex, and the Authorization header
 * is base64(accountSid + ":" + timestamp). Ronglian rejects timestamps far from its own
 * clock, which runs on China Standard Time, so the timestamp is UTC+8 (China has no DST).
 */

/** Everything the Ronglian API needs; tests point `baseUrl` at a local fake. */
export interface RonglianOptions {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  appId: string;
  templateId: string;
  timeoutMs: number;
  clock: Clock;
  log: Pick<Logger, 'warn'>;
}

/** Ronglian's success status. */
export const RONGLIAN_OK = '000000';
/** "Too frequent" and "daily limit" for one number: refusals that a retry would only repeat. */
export const RONGLIAN_TOO_FREQUENT = '160038';
export const RONGLIAN_DAILY_LIMIT = '160040';

const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** `yyyyMMddHHmmss` in China Standard Time (UTC+8), the form Ronglian signs and checks. */
export function ronglianTimestamp(epochMs: number): string {
  const d = new Date(epochMs + CHINA_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    String(d.getUTCFullYear()) +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds())
  );
}

/** The query signature: MD5(accountSid + authToken + timestamp), upper-case hex. */
export function ronglianSig(accountSid: string, authToken: string, timestamp: string): string {
  return md5Hex(accountSid + authToken + timestamp).toUpperCase();
}

/** The Authorization header value: base64(accountSid + ":" + timestamp). */
export function ronglianAuthorization(accountSid: string, timestamp: string): string {
  return Buffer.from(`${accountSid}:${timestamp}`, 'utf8').toString('base64');
}

/**
 * A provider that sends through Ronglian. Success is `statusCode == "000000"`; any other
 * status code is a business refusal (160038/160040 limits, 1111xx account and signature
 * errors) and final; HTTP 5xx or 429, network errors and timeouts are transient. Log lines
 * carry the masked phone and Ronglian's status, never the code or the request body.
 */
export function createRonglianSmsProvider(options: RonglianOptions): SmsProvider {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    name: 'ronglian',
    async send(message: SmsMessage): Promise<void> {
      const timestamp = ronglianTimestamp(options.clock.now());
      const sig = ronglianSig(options.accountSid, options.authToken, timestamp);
      const url = `${base}/2013-12-26/Accounts/${encodeURIComponent(options.accountSid)}/SMS/TemplateSMS?sig=${sig}`;
      const body = JSON.stringify({
        to: message.phone,
        appId: options.appId,
        templateId: options.templateId,
        datas: [message.code, String(message.ttlMinutes)],
      });
      const phone = maskPhone(message.phone);
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json;charset=utf-8',
            Authorization: ronglianAuthorization(options.accountSid, timestamp),
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network error';
        options.log.warn({ phone, reason }, 'ronglian sms request failed');
        throw new SmsTransientError(`ronglian ${reason}`, { cause: error });
      }
      if (response.status >= 500 || response.status === 429) {
        options.log.warn({ phone, httpStatus: response.status }, 'ronglian sms unavailable');
        throw new SmsTransientError(`ronglian answered HTTP ${response.status}`);
      }
      const statusCode = parseStatusCode(text);
      if (statusCode === RONGLIAN_OK) return;
      if (statusCode === null) {
        options.log.warn({ phone, httpStatus: response.status }, 'ronglian sms answer unreadable');
        if (response.ok) throw new SmsTransientError(`ronglian answered HTTP ${response.status} without a status code`);
        throw new SmsFinalError(`ronglian answered HTTP ${response.status} without a status code`);
      }
      options.log.warn({ phone, statusCode }, 'ronglian sms refused');
      throw new SmsFinalError(`ronglian refused the message: ${statusCode}`, statusCode);
    },
  };
}

/** Ronglian's `statusCode` field, or null when the body is not the JSON it promised. */
function parseStatusCode(text: string): string | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'statusCode' in parsed) {
      const code = (parsed as { statusCode: unknown }).statusCode;
      if (typeof code === 'string' || typeof code === 'number') return String(code);
    }
  } catch {
    // fall through: not JSON
  }
  return null;
}
