import { signal } from '@preact/signals';

/**
 * The console's sign-in: one web JWT (monitor/live `/user/login`, Google or Weibo) is the
 * console session; chat and study tokens are fetched from their own surfaces when a page
 * needs them and kept beside it. Kept in sessionStorage: one tab, gone when it closes.
 */
export interface ConsoleSession {
  /** The user's name as every surface knows it. */
  name: string;
  /** Shared user id (the JWT's `identity`). */
  userId: number;
  accessLevel: number;
  email?: string | null;
  phone?: string | null;
  /** Web JWT for monitor, live and admin calls (`Authorization: JWT <t>`). */
  webToken: string;
  /** When the web JWT stops working (ms since epoch). */
  webTokenExpiresAt: number;
  chatToken?: string;
  chatAvatar?: string;
  studyToken?: string;
}

const STORAGE_KEY = 'stoa.session';

function load(): ConsoleSession | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as ConsoleSession) : null;
  } catch {
    return null;
  }
}

/** The current session, or null when signed out; pages re-render when it changes. */
export const session = signal<ConsoleSession | null>(load());

/** Replaces the session (null signs out locally). */
export function setSession(next: ConsoleSession | null): void {
  session.value = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** Merges fields into the current session (e.g. a chat token fetched later). */
export function updateSession(fields: Partial<ConsoleSession>): void {
  if (session.value) setSession({ ...session.value, ...fields });
}

/** Reads the claims of a JWT without checking it (the server checks; the console only needs ids and times). */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Builds a session from a `/user/login`-shaped answer (`user_info` + `access_token`). */
export function sessionFromWebLogin(body: {
  user_info: { s_name: string; s_email?: string | null; s_phone?: string | null; access_level: number };
  access_token: string;
}): ConsoleSession {
  const claims = jwtClaims(body.access_token);
  return {
    name: body.user_info.s_name,
    userId: Number(claims.identity),
    accessLevel: body.user_info.access_level,
    email: body.user_info.s_email ?? null,
    phone: body.user_info.s_phone ?? null,
    webToken: body.access_token,
    webTokenExpiresAt: Number(claims.exp) * 1000,
  };
}

/** The Authorization header for web (monitor/live/admin) calls. */
export function webAuth(): Record<string, string> {
  const token = session.value?.webToken;
  return token ? { Authorization: `JWT ${token}` } : {};
}

/** Admins (level >= 9) see rule editing and the admin page. */
export function isAdmin(): boolean {
  return (session.value?.accessLevel ?? 0) >= 9;
}
