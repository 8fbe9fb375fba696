import type { App } from '../../core/app.js';
import { issueDadashopToken } from '../../core/auth/dadashop-token.js';
import { isAppError } from '../../core/errors.js';
import { queueMail } from '../../core/mail/mail-jobs.js';
import { queueSms } from '../../core/sms/sms-jobs.js';
import { registerAccount } from '../../core/users/accounts.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { codeExists, generateNumericCode, storeCode, verifyCode } from '../../core/verification/codes.js';
import { releaseSmsInterval, reserveSmsSend } from '../../core/verification/send-policy.js';
import { activateUser } from './repo.js';
import { decodeActivationCode, encodeActivationCode, isChinaMobile, isDadashopUsername, isEmailAddress, presentString } from './rules.js';

/**
 * Front end B's rules ("dadashop"): SMS codes, sign-up of pending accounts, activation
 * links by e-mail and the JWT its pages keep. Outcomes are names; `dadashop-wire.ts`
 * holds the codes and messages.
 */

/** Code purpose for dadashop sign-up texts: 4 digits, valid 180 s. */
export const DADASHOP_SMS_PURPOSE = 'dadashop-register';
export const DADASHOP_CODE_TTL_S = 180;
/** Code purpose for activation links: 4 digits (in the link), valid 3 days. */
export const ACTIVATION_PURPOSE = 'activation';
export const ACTIVATION_TTL_S = 3 * 86400;

/**
 * Sends a sign-up code. A live code (180 s) or a send within the per-phone interval is
 * "code already existed", so of many concurrent requests for one phone one is sent and
 * the rest hear why; the other caps are "too many requests".
 */
export async function sendDadashopSmsCode(
  app: App,
  request: { phone: unknown; ip: string },
): Promise<'invalid_phone' | 'code_exists' | 'too_many_requests' | 'sms_sent'> {
  const phone = request.phone;
  if (!isChinaMobile(phone)) return 'invalid_phone';
  if (await codeExists(app, DADASHOP_SMS_PURPOSE, phone)) return 'code_exists';
  const reservation = await reserveSmsSend(app, { phone, ip: request.ip });
  if (!reservation.allowed) return reservation.reason === 'interval' ? 'code_exists' : 'too_many_requests';
  const code = generateNumericCode(4);
  try {
    await storeCode(app, DADASHOP_SMS_PURPOSE, phone, code, DADASHOP_CODE_TTL_S);
    await queueSms(app, { phone, code, ttlMinutes: Math.ceil(DADASHOP_CODE_TTL_S / 60) });
  } catch (err) {
    await releaseSmsInterval(app, phone).catch(() => {});
    throw err;
  }
  return 'sms_sent';
}

/**
 * Queues the activation mail: a fresh 4-digit code, kept hashed for 3 days, inside
 * `<base>?code=<base64url("<digits>_<username>")>`, `base` from activation-links.ts.
 */
export async function sendActivationMail(app: App, user: { username: string; email: string }, base: string): Promise<void> {
  const digits = generateNumericCode(4);
  await storeCode(app, ACTIVATION_PURPOSE, user.username, digits, ACTIVATION_TTL_S);
  const link = new URL(base);
  link.searchParams.set('code', encodeActivationCode(digits, user.username));
  await queueMail(app, {
    to: [user.email],
    subject: '达达商城账号激活',
    text: `您好 ${user.username}：\n\n请在 3 天内点击下面的链接激活您的账号：\n${link.toString()}\n\n如果这不是您的操作，请忽略本邮件。`,
  });
}

/** A sign-up field that is missing or malformed, named as front end B's message says it. */
export type DadashopFieldProblem = { outcome: 'invalid_field'; message: string };

/**
 * Checks the account fields shared by sign-up and Weibo binding (`usernameField` is
 * `uname` or `username`, `extra` more required fields); null when they are fine.
 */
export function dadashopAccountProblem(
  body: Record<string, unknown>,
  usernameField: string,
  extra: string[] = [],
): DadashopFieldProblem | null {
  for (const name of [usernameField, 'password', 'phone', 'email', ...extra]) {
    if (presentString(body[name]) === null) return { outcome: 'invalid_field', message: `missing ${name}` };
  }
  if (!isDadashopUsername(String(body[usernameField]))) return { outcome: 'invalid_field', message: 'invalid username' };
  if (!isChinaMobile(body.phone)) return { outcome: 'invalid_field', message: 'invalid phone' };
  if (!isEmailAddress(String(body.email))) return { outcome: 'invalid_field', message: 'invalid email' };
  return null;
}

/**
 * Signs up a pending account: checks fields, spends the texted code, creates the user
 * and queues the activation mail. Answers the JWT at once, as the seed's pages expect.
 */
export async function registerDadashopUser(
  app: App,
  body: Record<string, unknown>,
  activationBase: string,
): Promise<DadashopFieldProblem | { outcome: 'code_wrong' } | { outcome: 'taken'; field: string } | { outcome: 'registered'; username: string; token: string }> {
  const problem = dadashopAccountProblem(body, 'uname', ['verify']);
  if (problem) return problem;
  const verify = presentString(body.verify)!;
  const username = String(body.uname);
  const phone = String(body.phone);
  const email = String(body.email).trim().toLowerCase();
  if ((await verifyCode(app, DADASHOP_SMS_PURPOSE, phone, verify)) !== 'ok') return { outcome: 'code_wrong' };
  try {
    await registerAccount(app, { username, password: String(body.password), phone, email, status: 'pending' });
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict') return { outcome: 'taken', field: err.details.field ?? 'username' };
    throw err;
  }
  await sendActivationMail(app, { username, email }, activationBase);
  return { outcome: 'registered', username, token: await issueDadashopToken(app, username) };
}

/** Follows an activation link: 'activated', or 'invalid' for a bad, used, expired or guessed-out code. */
export async function activateDadashopUser(app: App, code: unknown): Promise<'activated' | 'invalid'> {
  const parsed = decodeActivationCode(code);
  if (!parsed) return 'invalid';
  const user = await findUserByUsername(app.db, parsed.username);
  if (!user) return 'invalid';
  if ((await verifyCode(app, ACTIVATION_PURPOSE, user.username, parsed.digits)) !== 'ok') return 'invalid';
  await activateUser(app.db, user.id, app.clock.now());
  return 'activated';
}
