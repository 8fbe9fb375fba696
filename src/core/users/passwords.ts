import { pbkdf2, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { argon2id, hash as argon2Hash, needsRehash, verify as argon2Verify, type HashOptions } from 'argon2';
import { md5Hex, safeEqual } from '../../lib/crypto.js';

const pbkdf2Async = promisify(pbkdf2);

/** argon2id cost parameters (OWASP's minimum by default: 19 MiB, t=2, p=1). */
export interface Argon2Params {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
}

/** What checking a password against a stored hash found. */
export interface PasswordCheck {
  ok: boolean;
  /** True when the stored form is legacy or weaker than today's parameters: store a fresh hash. */
  needsRehash: boolean;
}

/**
 * Stored forms:
 * - `$argon2id$...`: current.
 * - `md5-argon2id$<argon2id of the MD5 hex>`: an imported unsalted MD5, wrapped so no MD5 rests on disk.
 * - `pbkdf2:sha256:<iterations>$<salt>$<hex>` and `scrypt:<n>:<r>:<p>$<salt>$<hex>`: Werkzeug, as Flask apps store it.
 * - `md5$<hex>` and `plain$<text>`: raw legacy forms other tools may have written; accepted once.
 */
const WRAPPED_MD5 = 'md5-argon2id$';

/** Hashes and checks passwords; argon2 runs on libuv's thread pool, so the event loop never waits on it. */
export class PasswordHasher {
  private readonly options: HashOptions;
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {
    this.options = {
      type: argon2id,
      memoryCost: params.memoryKib,
      timeCost: params.timeCost,
      parallelism: params.parallelism,
    };
  }

  /** A new argon2id hash of `password`. */
  async hash(password: string): Promise<string> {
    return phcParamOrder(await argon2Hash(password, this.options));
  }

  /** Wraps an unsalted MD5 hex digest (from an import) in argon2id. */
  async wrapLegacyMd5(md5HexDigest: string): Promise<string> {
    return WRAPPED_MD5 + (await this.hash(md5HexDigest.toLowerCase()));
  }

  /** Checks `password` against any stored form; `stored` null (unknown user) still costs one argon2 verify. */
  async verify(stored: string | null, password: string): Promise<PasswordCheck> {
    if (stored === null) {
      await argon2Verify(await this.dummy(), password).catch(() => false);
      return { ok: false, needsRehash: false };
    }
    if (stored.startsWith('$argon2')) {
      const ok = await argon2Verify(stored, password).catch(() => false);
      return { ok, needsRehash: ok && needsRehash(stored, this.options) };
    }
    if (stored.startsWith(WRAPPED_MD5)) {
      const ok = await argon2Verify(stored.slice(WRAPPED_MD5.length), md5Hex(password)).catch(() => false);
      return { ok, needsRehash: ok };
    }
    if (isWerkzeugHash(stored)) {
      const ok = await verifyWerkzeug(stored, password).catch(() => false);
      return { ok, needsRehash: ok };
    }
    if (stored.startsWith('md5$')) return { ok: safeEqual(stored.slice(4).toLowerCase(), md5Hex(password)), needsRehash: true };
    if (stored.startsWith('plain$')) return { ok: safeEqual(stored.slice(6), password), needsRehash: true };
    await argon2Verify(await this.dummy(), password).catch(() => false);
    return { ok: false, needsRehash: false };
  }

  /** A hash of a random string, so unknown users take as long as known ones. */
  private dummy(): Promise<string> {
    return (this.dummyHash ??= this.hash(`dummy-${Math.random()}`));
  }
}

/**
 * node-argon2 writes `m=,p=,t=` (ranisalt/node-argon2#559); the PHC format and
 * libargon2-based verifiers (PHP, argon2-cffi, Go) want `m=,t=,p=`, so hashes stay portable.
 */
function phcParamOrder(encoded: string): string {
  return encoded.replace(/^(\$argon2(?:id|i|d)\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$');
}

const WERKZEUG_PBKDF2 = /^pbkdf2:(sha256|sha512|sha1)(?::(\d+))?\$([^$]+)\$((?:[0-9a-f]{2})+)$/;
const WERKZEUG_SCRYPT = /^scrypt(?::(\d+):(\d+):(\d+))?\$([^$]+)\$((?:[0-9a-f]{2})+)$/;

/** True for the hash forms Werkzeug's `generate_password_hash` writes. */
function isWerkzeugHash(value: string): boolean {
  return WERKZEUG_PBKDF2.test(value) || WERKZEUG_SCRYPT.test(value);
}

/**
 * Werkzeug's `pbkdf2:<digest>[:iterations]$salt$hex` and `scrypt[:n:r:p]$salt$hex` (its
 * default since 3.0); the salt is used as UTF-8 text. Rejects (caught by the caller) on
 * parameters node:crypto refuses.
 */
async function verifyWerkzeug(stored: string, password: string): Promise<boolean> {
  const pbkdf2Match = WERKZEUG_PBKDF2.exec(stored);
  if (pbkdf2Match) {
    const [, digest, iterationsText, salt, expected] = pbkdf2Match;
    const iterations = Number(iterationsText ?? 260000);
    if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
    const derived = await pbkdf2Async(password, salt!, iterations, expected!.length / 2, digest!);
    return safeEqual(derived.toString('hex'), expected!);
  }
  const scryptMatch = WERKZEUG_SCRYPT.exec(stored);
  if (!scryptMatch) return false;
  const [, nText, rText, pText, salt, expected] = scryptMatch;
  const [N, r, p] = [Number(nText ?? 32768), Number(rText ?? 8), Number(pText ?? 1)];
  const maxmem = 132 * N * r * p;
  if (!(maxmem > 0 && maxmem <= 256 * 1024 * 1024)) return false;
  const derived = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt!, expected!.length / 2, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return safeEqual(derived.toString('hex'), expected!);
}

/** Classifies a value from an import file: an existing hash we can verify later, or clear text. */
export function classifyImportedSecret(value: string): 'argon2' | 'werkzeug' | 'md5' | 'plain' {
  if (value.startsWith('$argon2')) return 'argon2';
  if (isWerkzeugHash(value)) return 'werkzeug';
  if (/^[0-9a-fA-F]{32}$/.test(value)) return 'md5';
  return 'plain';
}
