import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { findAccountByLoginName, verifyPassword, type LoginName } from '../users/accounts.js';

/**
 * Password-guessing limits shared by every surface with a password login (chat, web, study
 * Basic, iHome). A try spends from three budgets in the same one-minute window:
 * - `account:<id>`: the account the identifier names, whichever identifier (username,
 *   e-mail, phone) and surface was used, so switching names or surfaces gains nothing;
 * - `name:<identifier>`: the identifier as typed (lowercased), known or not, so guessing
 *   against a name that does not exist is limited exactly like one that does;
 * - `addr:<ip>`: the client address over all surfaces together, so one address cannot
 *   spread guesses over many accounts or surfaces (LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE).
 * Only failures use a budget up. A try is reserved in the account and name budgets before
 * the password check, so parallel guesses cannot overrun them, and a right password gives
 * them back. The address budget counts failures after the check, so many people logging in
 * at once behind one address never use it up; parallel wrong tries can overrun it by the
 * number in flight, which the account and name budgets still bound. Windows follow
 * `app.clock`, so the memory and Redis states expire alike and tests move time instead of
 * sleeping.
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
  /** Counted before the password check and given back on success; otherwise counted only after a failure (the address). */
  reserved: boolean;
}

/**
 * Checks a password under the login limits. A spent budget refuses the try before any
 * password work, whether or not the account exists; an unknown name costs the same
 * argon2 work as a wrong password and gets the same `invalid` answer.
 */
export async function verifyLoginWithinLimits(app: App, attempt: LoginTry): Promise<LimitedLoginOutcome> {
  const account = await findAccountByLoginName(app, attempt.name);
  const now = app.clock.now();
  const window = Math.floor(now / LOGIN_WINDOW_MS);
  const budgets = loginBudgets(app, attempt, account);
  if (!(await reserveTry(app, budgets, window))) {
    return { kind: 'rate_limited', retryAfterS: Math.max(1, Math.ceil(((window + 1) * LOGIN_WINDOW_MS - now) / 1000)) };
  }
  const user = await verifyPassword(app, account, attempt.password);
  if (!user) {
    await countFailure(app, budgets, window);
    return { kind: 'invalid' };
  }
  await giveBackReserved(app, budgets, user, window);
  return { kind: 'ok', user };
}

/** The identifier as the person typed it, whichever kind the surface accepts. */
function typedLoginName(name: LoginName): string {
  return Object.values(name)[0] as string;
}

function loginBudgets(app: App, attempt: LoginTry, account: User | undefined): Budget[] {
  const budgets: Budget[] = [
    { subject: nameSubject(typedLoginName(attempt.name)), points: attempt.attemptsPerMinute, reserved: true },
    { subject: `addr:${attempt.ip}`, points: app.config.loginAttemptsPerAddressPerMinute, reserved: false },
  ];
  if (account) budgets.push({ subject: `account:${account.id}`, points: attempt.attemptsPerMinute, reserved: true });
  return budgets;
}

/** Counts outlive their window a little, so a try at its very end is still seen. */
const KEEP_COUNTS_MS = 2 * LOGIN_WINDOW_MS;
const nameSubject = (typed: string) => `name:${typed.trim().toLowerCase()}`;
const triesKey = (subject: string, window: number) => `login-tries:${subject}:${window}`;

/** Reserves the try in the reserved budgets and checks the others; false when any budget is spent. */
async function reserveTry(app: App, budgets: Budget[], window: number): Promise<boolean> {
  const withinBudget = await Promise.all(
    budgets.map(async (budget) => {
      const key = triesKey(budget.subject, window);
      if (budget.reserved) return (await app.state.kv.increment(key, KEEP_COUNTS_MS)) <= budget.points;
      return Number((await app.state.kv.get(key)) ?? 0) < budget.points;
    }),
  );
  return withinBudget.every(Boolean);
}

/** A wrong password (or unknown name) counts in the budgets not reserved up front. */
async function countFailure(app: App, budgets: Budget[], window: number): Promise<void> {
  await Promise.all(budgets.filter((b) => !b.reserved).map((b) => app.state.kv.increment(triesKey(b.subject, window), KEEP_COUNTS_MS)));
}

/**
 * A right password is not a guess: the account and every name it goes by (not only the one
 * typed) get their budgets back.
 */
async function giveBackReserved(app: App, budgets: Budget[], user: User, window: number): Promise<void> {
  const names = [user.username, user.email, user.phone].filter((name): name is string => !!name).map(nameSubject);
  const refilled = new Set([...budgets.filter((b) => b.reserved).map((b) => b.subject), ...names]);
  await Promise.all([...refilled].map((subject) => app.state.kv.delete(triesKey(subject, window))));
}
