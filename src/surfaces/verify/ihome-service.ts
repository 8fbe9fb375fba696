import type { App } from '../../core/app.js';
import { verifyLoginWithinLimits } from '../../core/auth/login-limits.js';
import { findTokenUser, issueToken, revokeToken } from '../../core/auth/tokens.js';
import { isAppError } from '../../core/errors.js';
import { queueSms } from '../../core/sms/sms-jobs.js';
import { registerAccount } from '../../core/users/accounts.js';
import { findUserByPhone } from '../../core/users/user-repo.js';
import { checkCaptcha } from '../../core/verification/captcha.js';
import { generateNumericCode, storeCode, verifyCode } from '../../core/verification/codes.js';
import { releaseSmsInterval, reserveSmsSend } from '../../core/verification/send-policy.js';
import { isChinaMobile, presentString } from './rules.js';

/**
 * Front end A's rules ("iHome"): captcha-gated SMS codes, phone sign-up and cookie
 * sessions. Each function returns an outcome name; `ihome-wire.ts` turns it into the
 * exact `{errcode, errmsg}` the seed's pages expect.
 */

/** Code purpose for iHome sign-up texts. */
export const IHOME_SMS_PURPOSE = 'ihome-register';
/** Token kind of iHome session cookies in the shared tokens table. */
export const IHOME_SESSION_KIND = 'ihome';
/** Sign-up codes: 6 digits, valid 300 s. */
export const IHOME_CODE_DIGITS = 6;
export const IHOME_CODE_TTL_S = 300;

/**
 * Sends a sign-up code. The captcha is spent before the phone is looked up, so no one
 * learns which numbers are registered without solving one; limits come last, so a
 * refused request never spends a send.
 */
export async function sendIhomeSmsCode(
  app: App,
  request: { mobile: string; imageCodeId: unknown; imageCodeText: unknown; ip: string },
): Promise<'incomplete' | 'captcha_missing' | 'captcha_wrong' | 'mobile_registered' | 'sms_too_frequent' | 'sms_sent'> {
  const id = presentString(request.imageCodeId);
  const text = presentString(request.imageCodeText);
  if (id === null || text === null) return 'incomplete';
  const captcha = await checkCaptcha(app, id, text);
  if (captcha === 'missing') return 'captcha_missing';
  if (captcha === 'wrong') return 'captcha_wrong';
  if (await findUserByPhone(app.db, request.mobile)) return 'mobile_registered';
  const reservation = await reserveSmsSend(app, { phone: request.mobile, ip: request.ip });
  if (!reservation.allowed) return 'sms_too_frequent';
  const code = generateNumericCode(IHOME_CODE_DIGITS);
  try {
    await storeCode(app, IHOME_SMS_PURPOSE, request.mobile, code, IHOME_CODE_TTL_S);
    await queueSms(app, { phone: request.mobile, code, ttlMinutes: Math.ceil(IHOME_CODE_TTL_S / 60) });
  } catch (err) {
    await releaseSmsInterval(app, request.mobile).catch(() => {});
    throw err;
  }
  return 'sms_sent';
}

/** What a sign-up or login hands back to the routes: the new session token and who it names. */
export interface IhomeSession {
  token: string;
  userId: number;
  name: string;
}

/** Signs a phone up with a texted code and opens a session for it. */
export async function registerIhomeUser(
  app: App,
  body: Record<string, unknown>,
): Promise<
  | { outcome: 'incomplete' | 'password_mismatch' | 'bad_mobile' | 'sms_code_expired' | 'sms_code_wrong' | 'mobile_registered' | 'name_taken' }
  | { outcome: 'registered'; session: IhomeSession }
> {
  const mobile = presentString(body.mobile);
  const smsCode = presentString(body.sms_code);
  const password = presentString(body.password);
  const password2 = presentString(body.password2);
  if (mobile === null || smsCode === null || password === null || password2 === null) return { outcome: 'incomplete' };
  if (password !== password2) return { outcome: 'password_mismatch' };
  if (!isChinaMobile(mobile)) return { outcome: 'bad_mobile' };
  const check = await verifyCode(app, IHOME_SMS_PURPOSE, mobile, smsCode);
  if (check === 'missing' || check === 'locked') return { outcome: 'sms_code_expired' };
  if (check === 'wrong') return { outcome: 'sms_code_wrong' };
  let userId: number;
  try {
    // The seed names iHome users after their phone number.
    userId = await registerAccount(app, { username: mobile, password, phone: mobile });
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict') {
      return { outcome: err.details.field === 'username' ? 'name_taken' : 'mobile_registered' };
    }
    throw err;
  }
  const token = await issueToken(app, userId, IHOME_SESSION_KIND, app.config.verify.ihomeSessionTtlS);
  return { outcome: 'registered', session: { token, userId, name: mobile } };
}

/**
 * Logs a phone in. Failed tries count per account (shared with every other password
 * login), per phone and per address (core/auth/login-limits.ts); a pending account is
 * told so only after its password was right, so the answer reveals nothing to a guesser.
 */
export async function loginIhomeUser(
  app: App,
  request: { mobile: unknown; password: unknown; ip: string },
): Promise<{ outcome: 'incomplete' | 'bad_mobile' | 'login_too_frequent' | 'bad_credentials' | 'not_activated' } | { outcome: 'logged_in'; session: IhomeSession }> {
  const mobile = presentString(request.mobile);
  const password = presentString(request.password);
  if (mobile === null || password === null) return { outcome: 'incomplete' };
  if (!isChinaMobile(mobile)) return { outcome: 'bad_mobile' };
  const checked = await verifyLoginWithinLimits(app, {
    name: { phone: mobile },
    password,
    ip: request.ip,
    attemptsPerMinute: app.config.verify.loginAttemptsPerMinute,
  });
  if (checked.kind === 'rate_limited') return { outcome: 'login_too_frequent' };
  if (checked.kind === 'invalid') return { outcome: 'bad_credentials' };
  const user = checked.user;
  if (user.status === 'pending') return { outcome: 'not_activated' };
  const token = await issueToken(app, user.id, IHOME_SESSION_KIND, app.config.verify.ihomeSessionTtlS);
  return { outcome: 'logged_in', session: { token, userId: user.id, name: user.username } };
}

/** The user behind a session cookie value, or null when absent, unknown, expired or revoked. */
export async function readIhomeSession(app: App, token: string | null): Promise<{ userId: number; name: string } | null> {
  if (!token) return null;
  const user = await findTokenUser(app, token, IHOME_SESSION_KIND);
  if (!user || user.status === 'pending') return null;
  return { userId: user.id, name: user.username };
}

/** Logs out: the token stops working at once, on every node. */
export async function endIhomeSession(app: App, token: string | null): Promise<void> {
  if (token) await revokeToken(app, token);
}
