import { readFileSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import type { ImportRecord } from '../core/users/import.js';

/** True when the file starts with SQLite's magic header. */
export function isSqliteFile(file: string): boolean {
  const head = readFileSync(file).subarray(0, 16).toString('latin1');
  return head === 'SQLite format 3\u0000';
}

/** Reads the seed chat server's `usr.db`: table `users(name, passwd, avatar)`, clear-text passwords. */
export function readSeedChatDatabase(file: string): ImportRecord[] {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT name, passwd, avatar FROM users').all() as Array<{
      name: unknown;
      passwd: unknown;
      avatar: unknown;
    }>;
    return rows.map((row) => ({
      username: String(row.name ?? ''),
      secret: String(row.passwd ?? ''),
      avatar: typeof row.avatar === 'string' && row.avatar !== 'default_avatar.png' ? row.avatar : null,
    }));
  } finally {
    db.close();
  }
}

/** Reads `username,password-or-hash[,avatar]` rows; a first row naming the columns is skipped. */
export function readUsersCsv(file: string): ImportRecord[] {
  const rows = parse(readFileSync(file, 'utf8'), {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  }) as string[][];
  const start = rows[0]?.[0]?.toLowerCase() === 'username' ? 1 : 0;
  return rows.slice(start).map((row) => ({ username: row[0] ?? '', secret: row[1] ?? '', avatar: row[2] || null }));
}
