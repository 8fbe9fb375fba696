import { randomInt } from 'node:crypto';
import { safeEqual, sha256Hex } from '../../lib/crypto.js';
import type { App } from '../app.js';

/**
 * One-time numeric codes (SMS sign-up, e-mail activation): stored as a hash with a TTL in
 * shared state, deleted on first successful use, and dead after MAX_CODE_ATTEMPTS wrong
 * guesses. A (purpose, subject) pair holds at most one live code; storing a new one
 * replaces the old and resets the guess count.
 */

/** Wrong guesses after which a code is invalid. */
export const MAX_CODE_ATTEMPTS = 5;

/** Outcome of a code check; surfaces map each to their own error code. */
export type CodeCheck = 'ok' | 'missing' | 'wrong' | 'locked';

/** A uniformly random string of `digits` decimal digits (leading zeros kept). */
export function generateNumericCode(digits: number): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 12) throw new RangeError(`digits must be 1-12, got ${digits}`);
  let code = '';
  for (let i = 0; i < digits; i++) code += String(randomInt(10));
  return code;
}

function codeKey(purpose: string, subject: string): string {
  return `code:${purpose}:${subject}`;
}

function attemptsKey(purpose: string, subject: string): string {
  return `code-attempts:${purpose}:${subject}`;
}

// Purpose and subject are part of the hash, so a hash copied between keys never matches.
function codeHash(purpose: string, subject: string, code: string): string {
  return sha256Hex(`${purpose}|${subject}|${code}`);
}

/** Remembers `code` for `subject` (a phone, an e-mail) for `ttlS`, replacing any earlier one. */
export async function storeCode(
  app: Pick<App, 'state'>,
  purpose: string,
  subject: string,
  code: string,
  ttlS: number,
): Promise<void> {
  await app.state.kv.delete(attemptsKey(purpose, subject));
  await app.state.kv.set(codeKey(purpose, subject), codeHash(purpose, subject, code), ttlS * 1000);
}

/** True while a code for `subject` is live: "a code was sent recently" checks. */
export async function codeExists(app: Pick<App, 'state'>, purpose: string, subject: string): Promise<boolean> {
  return (await app.state.kv.get(codeKey(purpose, subject))) !== null;
}

/**
 * Checks a submitted code. Every check first spends one of MAX_CODE_ATTEMPTS slots
 * (an atomic counter that lives as long as the code), so even many concurrent guesses
 * get at most that many comparisons. A match is then claimed with an atomic take, so two
 * concurrent correct submissions cannot both get 'ok'. 'locked' means the code was
 * spent on wrong guesses; 'missing' that it expired, was used, or never existed.
 */
export async function verifyCode(
  app: Pick<App, 'state'>,
  purpose: string,
  subject: string,
  code: string,
): Promise<CodeCheck> {
  const kv = app.state.kv;
  const key = codeKey(purpose, subject);
  const triesKey = attemptsKey(purpose, subject);
  const stored = await kv.get(key);
  const left = stored === null ? null : await kv.ttlMs(key);
  // storeCode always sets a TTL; the fallback only guards a key written some other way.
  const ttlMs = left === null ? null : Number.isFinite(left) ? left : 86_400_000;
  if (stored === null || ttlMs === null) {
    const tries = Number((await kv.get(triesKey)) ?? 0);
    return tries >= MAX_CODE_ATTEMPTS ? 'locked' : 'missing';
  }
  const attempt = await kv.increment(triesKey, Math.max(1, ttlMs));
  if (attempt > MAX_CODE_ATTEMPTS) {
    await kv.delete(key);
    return 'locked';
  }
  const submitted = codeHash(purpose, subject, code);
  if (safeEqual(stored, submitted)) {
    const taken = await kv.take(key);
    if (taken === null) return 'missing'; // a concurrent correct submission got there first
    if (!safeEqual(taken, submitted)) {
      // A new code was stored between our read and take: put it back (with about its TTL).
      await kv.setIfAbsent(key, taken, Math.max(1, ttlMs));
      return 'wrong';
    }
    await kv.delete(triesKey);
    return 'ok';
  }
  if (attempt >= MAX_CODE_ATTEMPTS) await kv.delete(key);
  return 'wrong';
}
