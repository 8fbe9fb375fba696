/**
 * Pure rules of the verification surface: what a phone number, a captcha id or an
 * activation code looks like, and how the iHome session cookie is read and written.
 * No I/O here, so every rule is testable on its own.
 */

/** Mainland China mobile numbers, the only ones both front ends accept. */
export const CHINA_MOBILE = /^1[3-9]\d{9}$/;

/** Client-chosen captcha ids (the seed's clients send UUIDs). */
export const IMAGE_CODE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** True for a mainland China mobile number. */
export function isChinaMobile(value: unknown): value is string {
  return typeof value === 'string' && CHINA_MOBILE.test(value);
}

/** A non-empty string after trimming, or null: how "missing" is judged for every field. */
export function presentString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A JSON object body, or null for anything else (array, string, absent). */
export function bodyFields(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** Loose e-mail shape check: one `@`, something on both sides, a dot in the domain, no spaces. */
export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** Usernames for front end B: 1-64 characters, no whitespace or control characters. */
export function isDadashopUsername(value: string): boolean {
  return value.length >= 1 && value.length <= 64 && !/[\s\p{Cc}]/u.test(value);
}

/** The seed's activation code: base64url("<4 digits>_<username>"), unpadded. */
export function encodeActivationCode(digits: string, username: string): string {
  return Buffer.from(`${digits}_${username}`, 'utf8').toString('base64url');
}

/** Reads an activation code back (padded or not); null when it is not `<4 digits>_<username>`. */
export function decodeActivationCode(code: unknown): { digits: string; username: string } | null {
  if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{1,400}={0,2}$/.test(code)) return null;
  const text = Buffer.from(code.replace(/=+$/, ''), 'base64url').toString('utf8');
  const match = /^(\d{4})_(.+)$/s.exec(text);
  if (!match || !isDadashopUsername(match[2]!)) return null;
  return { digits: match[1]!, username: match[2]! };
}

/** Name of the iHome session cookie (Flask's). */
export const IHOME_COOKIE = 'session';

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const cut = part.indexOf('=');
    if (cut < 0) continue;
    if (part.slice(0, cut).trim() === name) return part.slice(cut + 1).trim();
  }
  return null;
}

/**
 * The Set-Cookie value for the iHome session: HttpOnly so scripts cannot read it,
 * SameSite=Lax against cross-site posts, Secure when the request came over https.
 * No Max-Age: a browser-session cookie; the server-side expiry slides with use.
 */
export function sessionCookie(token: string, secure: boolean): string {
  return `${IHOME_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that makes a browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${IHOME_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
