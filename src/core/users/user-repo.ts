import { sql } from 'kysely';
import { PreparedQuery } from '../db/prepared-query.js';
import type { Executor, User, UserStatus } from '../db/schema.js';

/** Fields a new account may start with; the rest take their defaults. */
export interface NewUser {
  username: string;
  passwordHash: string | null;
  email?: string | null;
  phone?: string | null;
  avatar?: string | null;
  accessLevel?: number;
  status?: UserStatus;
  studentId?: string | null;
  createdAt: number;
  /** Set only when the e-mail is already proven at sign-up (a provider's verified claim). */
  emailVerifiedAt?: number | null;
}

/** Inserts a user and returns its id; a taken username/e-mail/phone surfaces as a unique violation. */
export async function insertUser(db: Executor, user: NewUser): Promise<number> {
  const row = await db
    .insertInto('users')
    .values({
      username: user.username,
      password_hash: user.passwordHash,
      email: user.email ?? null,
      phone: user.phone ?? null,
      avatar: user.avatar ?? null,
      access_level: user.accessLevel ?? 0,
      status: user.status ?? 'active',
      student_id: user.studentId ?? null,
      created_at: user.createdAt,
      last_seen_at: null,
      email_verified_at: user.emailVerifiedAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const userByName = new PreparedQuery<User, [username: string]>(
  1,
  (db, name) => (db as Executor).selectFrom('users').selectAll().where('username', '=', name as string),
  { reuseWhileUnchanged: true },
);

/** Looks a user up by exact username. */
export async function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
  return (await userByName.run(db, username))[0];
}

const userById = new PreparedQuery<User, [id: number]>(
  1,
  (db, id) => (db as Executor).selectFrom('users').selectAll().where('id', '=', id as number),
  { reuseWhileUnchanged: true },
);

/** Looks a user up by id (every web-session request does). */
export async function findUserById(db: Executor, id: number): Promise<User | undefined> {
  return (await userById.run(db, id))[0];
}

/** Looks a user up by e-mail (stored lowercased). */
export function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** Looks a user up by phone number. */
export function findUserByPhone(db: Executor, phone: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('phone', '=', phone).executeTakeFirst();
}

/**
 * Replaces a stored password hash (rehash after a legacy login, password change). A password
 * change must also end the user's web sessions (`endWebSessions`); a rehash must not.
 */
export async function updatePasswordHash(db: Executor, id: number, hash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
}

/** Records activity; callers throttle it. */
export async function touchLastSeen(db: Executor, id: number, at: number): Promise<void> {
  await db.updateTable('users').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/** Sets the avatar file name. */
export async function updateAvatar(db: Executor, id: number, avatar: string | null): Promise<void> {
  await db.updateTable('users').set({ avatar }).where('id', '=', id).execute();
}

/**
 * Sets the access level (admin tooling, access requests) and, when it changed, ends the
 * user's web sessions in the same transaction: tokens signed before carry the old level.
 */
export async function updateAccessLevel(db: Executor, id: number, level: number): Promise<void> {
  const change = async (trx: Executor) => {
    const result = await trx.updateTable('users').set({ access_level: level }).where('id', '=', id).where('access_level', '!=', level).executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) await endWebSessions(trx, id);
  };
  if (db.isTransaction) await change(db);
  else await db.transaction().execute(change);
}

/**
 * Ends every web session (JWT) of the user signed so far: the user's session epoch moves,
 * and a token is accepted only with the epoch it was signed under (core/auth/web-session.ts).
 * For a level change, a password change, an account disabled or deleted.
 */
export async function endWebSessions(db: Executor, id: number): Promise<void> {
  await db
    .withTables<{ user_session_epochs: { user_id: number; epoch: number } }>()
    .insertInto('user_session_epochs')
    .values({ user_id: id, epoch: 1 })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ epoch: sql`user_session_epochs.epoch + 1` }))
    .execute();
}

/** Users in id order, a page at a time. */
export function listUsers(db: Executor, options: { afterId?: number; limit: number }): Promise<User[]> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '>', options.afterId ?? 0)
    .orderBy('id')
    .limit(options.limit)
    .execute();
}

/** Number of users (CLI summaries). */
export async function countUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** `text` as a LIKE pattern that matches it literally anywhere (`%`, `_` and `\` escaped), lowercased. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page of users whose username, e-mail or phone contains `query` (any case), newest
 * first, and how many match in all: the admin page's user list.
 */
export async function searchUsers(
  db: Executor,
  options: { query: string; offset: number; limit: number },
): Promise<{ users: User[]; total: number }> {
  let base = db.selectFrom('users');
  const query = options.query.trim();
  if (query !== '') {
    const pattern = containsPattern(query);
    base = base.where((eb) =>
      eb.or([
        sql<boolean>`lower(username) like ${pattern} escape '\\'`,
        sql<boolean>`lower(coalesce(email, '')) like ${pattern} escape '\\'`,
        sql<boolean>`coalesce(phone, '') like ${pattern} escape '\\'`,
      ]),
    );
  }
  const [users, count] = await Promise.all([
    base.selectAll().orderBy('id', 'desc').limit(options.limit).offset(options.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { users, total: Number(count.n) };
}
