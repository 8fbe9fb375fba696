import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lowercase hex of `bytes` cryptographically random bytes (tokens, ids, codes). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** SHA-256 of a UTF-8 string as lowercase hex: how opaque tokens are stored and looked up. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** MD5 of a UTF-8 string as lowercase hex; only for legacy password hashes and provider signatures. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Compares two strings without leaking where they differ or how long they are:
 * both sides are hashed first, so the comparison always covers 32 bytes.
 */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
