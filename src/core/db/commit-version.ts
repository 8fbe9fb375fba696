import { closeSync, openSync, readSync } from 'node:fs';
import type SqliteDatabase from 'better-sqlite3';

/**
 * Bytes of the first copy of the WAL-index header at the start of the `-shm` file
 * (https://www.sqlite.org/walformat.html, "The WAL-Index Header"): its change counter,
 * frame count, salts and checksum move with every commit, from any connection or process,
 * before that commit returns.
 */
const WAL_INDEX_HEADER_BYTES = 48;

/**
 * A number that moves with every commit to one SQLite database in WAL mode, from any
 * connection or process, and never moves otherwise except spuriously (a header read while a
 * commit rewrites it). Read without a lock or a transaction: one `pread` of the header in the
 * `-shm` file, which every connection maps. Where that file cannot be read it falls back to
 * `PRAGMA data_version` on the main connection (which never writes, so every commit moves it).
 */
export class CommitVersion {
  private version = 0;
  private fd: number | null;
  private readonly last = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly now = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly dataVersion: SqliteDatabase.Statement;
  private lastDataVersion: number;

  constructor(native: SqliteDatabase.Database) {
    this.dataVersion = native.prepare('PRAGMA data_version').pluck();
    this.lastDataVersion = this.dataVersion.get() as number;
    this.fd = openShm(`${native.name}-shm`);
    if (this.fd !== null) this.readHeader(this.last);
  }

  /** The current version: equal to an earlier reading only if nothing committed in between. */
  current(): number {
    if (this.fd !== null && this.readHeader(this.now)) {
      if (!this.now.equals(this.last)) {
        this.now.copy(this.last);
        this.version++;
      }
      return this.version;
    }
    const dataVersion = this.dataVersion.get() as number;
    if (dataVersion !== this.lastDataVersion) {
      this.lastDataVersion = dataVersion;
      this.version++;
    }
    return this.version;
  }

  /** Stops reading the header file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readHeader(into: Buffer): boolean {
    try {
      return readSync(this.fd!, into, 0, WAL_INDEX_HEADER_BYTES, 0) === WAL_INDEX_HEADER_BYTES;
    } catch {
      this.close();
      return false;
    }
  }
}

function openShm(file: string): number | null {
  try {
    return openSync(file, 'r');
  } catch {
    return null;
  }
}
