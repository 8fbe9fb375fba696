import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { verifyCredentials, type LoginName } from '../users/accounts.js';
import { findUserByEmail, findUserByPhone, findUserByUsername } from '../users/user-repo.js';

/**
 * Password-guessing limits shared by every surface with a password login (chat, web, study
 * Basic, iHome). A try spends from three budgets in the same one-minute window:
 * - `account:<id>`: the account the identifier names, whichever identifier (username,
 *   e-mail, phone) and surface was used, so switching names or surfaces gains nothing;
 * - `name:<identifier>`: the identifier as typed (lowercased), known or not, so guessing
 *   against a name that does not exist is limited exactly like one that does;
 * - `addr:<ip>`: the client address over all surfaces together, so one address cannot
 *   spread guesses over many accounts or surfaces (LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE).
 * Only failures use a budget up: a right password gives the account and name budgets back
 * and is not counted against the address. Each try is reserved before the password check,
 * so parallel guesses cannot overrun a budget. Windows follow `app.clock`, so the memory
 * and Redis states expire alike and tests move time instead of sleeping.
 */

/** Length of one counting window. */
export const LOGIN_WINDOW_MS = 60_000;

/** A password login to check: who is named, how they typed it, and where from. */
export interface LoginTry {
  name: LoginName;
  password: string;
  ip: string;
  /** The surface's failed tries per account and per name a minute (e.g. WEB_LOGIN_ATTEMPTS_PER_MINUTE). */
  attemptsPerMinute: number;
}

/** What a limited login comes to; each surface turns it into its own wire answer. */
export type LimitedLoginOutcome = { kind: 'ok'; user: User } | { kind: 'invalid' } | { kind: 'rate_limited'; retryAfterS: number };

interface Budget {
  subject: string;
  points: number;
  /** Successes are subtracted instead of resetting the budget (the address budget). */
  creditsSuccess: boolean;
}

/**
 * Checks a password under the login limits. A spent budget refuses the try before any
 * password work, whether or not the account exists; an unknown name costs the same
 * argon2 work as a wrong password and gets the same `invalid` answer.
 */
export async function verifyLoginWithinLimits(app: App, attempt: LoginTry): Promise<LimitedLoginOutcome> {
  const account = await findLoginAccount(app, attempt.name);
  const now = app.clock.now();
  const window = Math.floor(now / LOGIN_WINDOW_MS);
  const budgets = loginBudgets(app, attempt, account);
  if (!(await reserveTry(app, budgets, window))) {
    return { kind: 'rate_limited', retryAfterS: Math.max(1, Math.ceil(((window + 1) * LOGIN_WINDOW_MS - now) / 1000)) };
  }
  const user = await verifyCredentials(app, account ? { username: account.username } : attempt.name, attempt.password);
  if (!user) return { kind: 'invalid' };
  await giveBackSuccess(app, budgets, user, window);
  return { kind: 'ok', user };
}

/** The identifier as the person typed it, whichever kind the surface accepts. */
function typedLoginName(name: LoginName): string {
  return Object.values(name)[0] as string;
}

/**
 * The account an identifier names, looked up the way `verifyCredentials` does: username
 * first, then e-mail or phone where the surface accepts them.
 */
async function findLoginAccount(app: App, name: LoginName): Promise<User | undefined> {
  if ('username' in name) return findUserByUsername(app.db, name.username);
  if ('email' in name) return findUserByEmail(app.db, name.email);
  if ('phone' in name) return findUserByPhone(app.db, name.phone);
  const value = typedLoginName(name);
  const byName = await findUserByUsername(app.db, value);
  if (byName) return byName;
  if (value.includes('@')) return findUserByEmail(app.db, value);
  return 'usernameEmailOrPhone' in name && /^\+?\d{5,20}$/.test(value) ? findUserByPhone(app.db, value) : undefined;
}

function loginBudgets(app: App, attempt: LoginTry, account: User | undefined): Budget[] {
  const budgets: Budget[] = [
    { subject: nameSubject(typedLoginName(attempt.name)), points: attempt.attemptsPerMinute, creditsSuccess: false },
    { subject: `addr:${attempt.ip}`, points: app.config.loginAttemptsPerAddressPerMinute, creditsSuccess: true },
  ];
  if (account) budgets.push({ subject: `account:${account.id}`, points: attempt.attemptsPerMinute, creditsSuccess: false });
  return budgets;
}

/** Counts outlive their window a little, so a try at its very end is still seen. */
const KEEP_COUNTS_MS = 2 * LOGIN_WINDOW_MS;
const nameSubject = (typed: string) => `name:${typed.trim().toLowerCase()}`;
const triesKey = (subject: string, window: number) => `login-tries:${subject}:${window}`;
const successesKey = (subject: string, window: number) => `login-successes:${subject}:${window}`;

/** Counts the try in every budget; false when any of them is already spent. */
async function reserveTry(app: App, budgets: Budget[], window: number): Promise<boolean> {
  const withinBudget = await Promise.all(
    budgets.map(async (budget) => {
      const tries = await app.state.kv.increment(triesKey(budget.subject, window), KEEP_COUNTS_MS);
      const successes = budget.creditsSuccess ? Number((await app.state.kv.get(successesKey(budget.subject, window))) ?? 0) : 0;
      return tries - successes <= budget.points;
    }),
  );
  return withinBudget.every(Boolean);
}

/**
 * A right password is not a guess: the account and every name it goes by (not only the one
 * typed) refill, and the address is credited so the try does not count against it.
 */
async function giveBackSuccess(app: App, budgets: Budget[], user: User, window: number): Promise<void> {
  const names = [user.username, user.email, user.phone].filter((name): name is string => !!name).map(nameSubject);
  const refilled = new Set([...budgets.filter((b) => !b.creditsSuccess).map((b) => b.subject), ...names]);
  const credited = budgets.filter((b) => b.creditsSuccess).map((b) => b.subject);
  await Promise.all([
    ...[...refilled].map((subject) => app.state.kv.delete(triesKey(subject, window))),
    ...credited.map((subject) => app.state.kv.increment(successesKey(subject, window), KEEP_COUNTS_MS)),
  ]);
}
