import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';

/** Epoch milliseconds, stored as a 64-bit integer on both dialects. */
export type EpochMs = number;

/** The one user table every surface shares. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  phone: string | null;
  /** argon2id, a wrapped legacy hash, or a Werkzeug hash awaiting rehash; null for third-party-only accounts. */
  password_hash: string | null;
  avatar: string | null;
  access_level: ColumnType<number, number | undefined, number>;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  student_id: string | null;
  created_at: EpochMs;
  last_seen_at: EpochMs | null;
  /** When the account proved it owns `email` (activation link, a provider's verified claim); null if never. */
  email_verified_at: EpochMs | null;
}

/** Account states: pending accounts wait for e-mail activation before they may log in. */
export type UserStatus = 'active' | 'pending';

/** Third-party logins (Weibo, Google) bound to a user. */
export interface IdentitiesTable {
  id: Generated<number>;
  user_id: number;
  provider: string;
  subject: string;
  created_at: EpochMs;
}

/** Opaque tokens, stored only as SHA-256 of the token. */
export interface TokensTable {
  hash: string;
  user_id: number;
  kind: string;
  ttl_s: number;
  created_at: EpochMs;
  expires_at: EpochMs;
}

/** The core tables as Kysely sees them; each surface adds its own with `db.withTables<...>()`. */
export interface Database {
  users: UsersTable;
  identities: IdentitiesTable;
  tokens: TokensTable;
}

/** A user row as read. */
export type User = Selectable<UsersTable>;

/** Kysely handle or a transaction: repo functions take this first. */
export type Executor = Kysely<Database>;

/** Which SQL engine is behind the handle. */
export type DialectName = 'sqlite' | 'postgres';
