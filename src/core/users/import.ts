import type { App } from '../app.js';
import { isUniqueViolation } from '../db/database.js';
import { insertUser } from './user-repo.js';
import { classifyImportedSecret } from './passwords.js';

/** One account read from an old system. */
export interface ImportRecord {
  username: string;
  /** Clear text or a hash in a recognised legacy form. */
  secret: string;
  avatar?: string | null;
}

/** Totals of an import run. */
export interface ImportSummary {
  imported: number;
  skippedExisting: number;
  rejected: Array<{ username: string; reason: string }>;
}

/**
 * Brings accounts from an old system into the shared user store. Clear-text passwords
 * are hashed with argon2id right away; an unsalted MD5 is wrapped in argon2id; a
 * Werkzeug hash is kept as is. Wrapped and Werkzeug hashes become plain argon2id at the
 * user's next login. Existing usernames are left untouched. Hashing runs a few at a
 * time on the thread pool; `onProgress` is called once per record.
 */
export async function importUsers(
  app: App,
  records: readonly ImportRecord[],
  options: { secretsAreClearText: boolean; concurrency?: number; onProgress?: () => void },
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, skippedExisting: 0, rejected: [] };
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const record = records[next++]!;
      await importOne(app, record, options.secretsAreClearText, summary);
      options.onProgress?.();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return summary;
}

async function importOne(app: App, record: ImportRecord, clearText: boolean, summary: ImportSummary): Promise<void> {
  const username = record.username.trim();
  if (username.length === 0 || username.length > 64) {
    summary.rejected.push({ username, reason: 'username must be 1-64 characters' });
    return;
  }
  if (record.secret.length === 0) {
    summary.rejected.push({ username, reason: 'empty password' });
    return;
  }
  const kind = clearText ? 'plain' : classifyImportedSecret(record.secret);
  const passwordHash =
    kind === 'plain'
      ? await app.passwords.hash(record.secret)
      : kind === 'md5'
        ? await app.passwords.wrapLegacyMd5(record.secret)
        : record.secret;
  try {
    await insertUser(app.db, { username, passwordHash, avatar: record.avatar || null, createdAt: app.clock.now() });
    summary.imported++;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    summary.skippedExisting++;
  }
}
