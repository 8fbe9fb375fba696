import { isUniqueViolation } from '../db/database.js';
import type { User, UserStatus } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { App } from '../app.js';
import {
  findUserByEmail,
  findUserByPhone,
  findUserByUsername,
  insertUser,
  updatePasswordHash,
} from './user-repo.js';

/** What a surface knows when someone signs up. */
export interface AccountInput {
  username: string;
  /** Null for accounts that only log in through a third party. */
  password: string | null;
  email?: string | null;
  phone?: string | null;
  avatar?: string | null;
  status?: UserStatus;
  studentId?: string | null;
}

/**
 * Creates an account in the shared user store with an argon2id hash. A taken username,
 * e-mail, phone or student id is an AppError('conflict') whose `field` names it.
 */
export async function registerAccount(app: App, input: AccountInput): Promise<number> {
  const email = input.email ? input.email.trim().toLowerCase() : null;
  const passwordHash = input.password === null ? null : await app.passwords.hash(input.password);
  try {
    return await insertUser(app.db, {
      username: input.username,
      passwordHash,
      email,
      phone: input.phone ?? null,
      avatar: input.avatar ?? null,
      status: input.status ?? 'active',
      studentId: input.studentId ?? null,
      createdAt: app.clock.now(),
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new AppError('conflict', 'already exists', { field: await conflictingField(app, input.username, email, input.phone ?? null) });
  }
}

async function conflictingField(app: App, username: string, email: string | null, phone: string | null): Promise<string> {
  if (await findUserByUsername(app.db, username)) return 'username';
  if (email && (await findUserByEmail(app.db, email))) return 'email';
  if (phone && (await findUserByPhone(app.db, phone))) return 'phone';
  return 'student_id';
}

/** How a surface names the person logging in. */
export type LoginName =
  | { username: string }
  | { email: string }
  | { phone: string }
  | { usernameOrEmail: string }
  /** Username first, then e-mail (when it has an `@`), then phone (when it is digits): the web console's one box. */
  | { usernameEmailOrPhone: string };

/** The account a login name names: username first, then e-mail or phone where the kind of name allows them. */
export async function findAccountByLoginName(app: App, name: LoginName): Promise<User | undefined> {
  if ('username' in name) return findUserByUsername(app.db, name.username);
  if ('email' in name) return findUserByEmail(app.db, name.email);
  if ('phone' in name) return findUserByPhone(app.db, name.phone);
  if ('usernameOrEmail' in name) {
    const value = name.usernameOrEmail;
    return (await findUserByUsername(app.db, value)) ?? (value.includes('@') ? findUserByEmail(app.db, value) : undefined);
  }
  const value = name.usernameEmailOrPhone;
  const byName = await findUserByUsername(app.db, value);
  if (byName) return byName;
  if (value.includes('@')) return findUserByEmail(app.db, value);
  return /^\+?\d{5,20}$/.test(value) ? findUserByPhone(app.db, value) : undefined;
}

/**
 * Checks credentials. Unknown users and wrong passwords look the same and cost the same
 * argon2 work. A legacy or outdated hash is replaced by a fresh argon2id one on success.
 * Status (pending activation) is the caller's rule: the user is returned either way.
 */
export async function verifyCredentials(app: App, name: LoginName, password: string): Promise<User | null> {
  return verifyPassword(app, await findAccountByLoginName(app, name), password);
}

/**
 * `verifyCredentials` for an account already looked up (undefined: no such account, checked
 * against no hash with the same argon2 work).
 */
export async function verifyPassword(app: App, user: User | undefined, password: string): Promise<User | null> {
  const check = await app.passwords.verify(user?.password_hash ?? null, password);
  if (!user || !check.ok) return null;
  if (check.needsRehash) {
    const fresh = await app.passwords.hash(password);
    await updatePasswordHash(app.db, user.id, fresh);
    user.password_hash = fresh;
  }
  return user;
}
