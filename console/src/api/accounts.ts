import { signal } from '@preact/signals';
import { navigate, route } from '../router.js';
import { hub } from './hub.js';
import { request, watchUnauthorized, type ApiResult } from './http.js';
import { session, sessionFromWebLogin, setSession, updateSession, webAuth, jwtClaims } from './session.js';

/**
 * Web accounts in the console: signing in (password, Google, Weibo), keeping the 300 s
 * web JWT fresh while the tab is open, and ending the session when the server stops
 * accepting it.
 */

/** A message the sign-in page shows once (e.g. after the session ended). */
export const signInNotice = signal<string | null>(null);

/** Which sign-in providers the server has configured (`GET /console/config.json`). */
export const providers = signal<{ google: boolean; weibo: boolean } | null>(null);

/** Loads the provider switches once; a failure leaves both off. */
export async function loadProviders(): Promise<void> {
  if (providers.value) return;
  try {
    const res = await request('GET', '/console/config.json');
    providers.value = res.ok && res.body ? { google: res.body.google === true, weibo: res.body.weibo === true } : { google: false, weibo: false };
  } catch {
    providers.value = { google: false, weibo: false };
  }
}

/** `POST /user/login`; on 200 the console session starts. */
export async function signIn(name: string, password: string): Promise<ApiResult> {
  const res = await request('POST', '/user/login', { json: { s_name: name, s_password: password } });
  if (res.status === 200) startSession(res.body);
  return res;
}

/** Starts the session from any `/user/login`-shaped answer (password, Google, token exchange). */
export function startSession(body: Parameters<typeof sessionFromWebLogin>[0]): void {
  signInNotice.value = null;
  setSession(sessionFromWebLogin(body));
  scheduleRefresh();
}

/** A `next` target that stays inside the console (`/chat`, not `//evil` or a full URL). */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/';
}

const NEXT_KEY = 'stoa.next';

/** Remembers where to go after an OAuth round trip (the provider drops our hash). */
export function rememberNext(next: string): void {
  sessionStorage.setItem(NEXT_KEY, safeNext(next));
}

/** Takes the page remembered before an OAuth round trip. */
export function takeNext(): string {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return safeNext(next);
}

/** Ends the local session because the server refused it, and sends the user to sign in. */
export function sessionEnded(): void {
  if (!session.value) return;
  const here = route.value.path;
  clearRefresh();
  hub.disconnect();
  setSession(null);
  signInNotice.value = 'Your session ended, sign in again';
  navigate(here && here !== '/' && !here.startsWith('/signin') ? `/signin?next=${encodeURIComponent(here)}` : '/signin');
}

/** Refresh this long before the JWT expires. */
const REFRESH_LEAD_MS = 60_000;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;

function clearRefresh(): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = null;
}

/** `POST /user/token/refresh` now; a 401 ends the session, a network failure retries soon. */
export async function refreshNow(): Promise<void> {
  if (!session.value) return;
  let res: ApiResult;
  try {
    res = await request('POST', '/user/token/refresh', { headers: webAuth() });
  } catch {
    refreshTimer = setTimeout(() => void refreshNow(), 10_000);
    return;
  }
  if (res.status === 200 && typeof res.body?.access_token === 'string') {
    const token: string = res.body.access_token;
    const level = res.body.user_info?.access_level;
    updateSession({
      webToken: token,
      webTokenExpiresAt: Number(jwtClaims(token).exp) * 1000,
      // The account as the server has it now (a level change ends the session, so this rarely differs).
      ...(typeof level === 'number' ? { accessLevel: level } : {}),
    });
    scheduleRefresh();
  } else if (res.status !== 401) {
    refreshTimer = setTimeout(() => void refreshNow(), 10_000);
  }
  // 401: the fetch watch below has already ended the session.
}

/** Plans the next refresh about a minute before the current JWT expires. */
export function scheduleRefresh(): void {
  clearRefresh();
  const current = session.value;
  if (!current) return;
  const wait = current.webTokenExpiresAt - REFRESH_LEAD_MS - Date.now();
  if (current.webTokenExpiresAt <= Date.now()) {
    sessionEnded();
    return;
  }
  refreshTimer = setTimeout(() => void refreshNow(), Math.max(0, wait));
}

let watching = false;

/**
 * Keeps the session alive while the tab is open and watches every call that carries the
 * current web JWT: a 401 answer to one of them means the server ended the session
 * (expired, logged out elsewhere, user gone), so the console returns to sign-in. Calls
 * with other credentials (chat, study tokens, a sign-in attempt) are left to their pages.
 */
export function watchWebSession(): void {
  if (watching) return;
  watching = true;
  watchUnauthorized((sent) => {
    const token = session.value?.webToken;
    if (token && (sent === `JWT ${token}` || sent === `Bearer ${token}`)) sessionEnded();
  });
  document.addEventListener('visibilitychange', () => {
    // Timers sleep in background tabs: catch up when the tab is seen again.
    if (document.visibilityState === 'visible' && session.value) {
      if (session.value.webTokenExpiresAt - Date.now() < REFRESH_LEAD_MS) void refreshNow();
    }
  });
  scheduleRefresh();
}

/** Signs out: the local session goes at once; the server is told so the JWT stops working everywhere. */
export async function signOut(): Promise<void> {
  const headers = webAuth();
  clearRefresh();
  hub.disconnect();
  setSession(null);
  navigate('/signin');
  await request('POST', '/user/logout', { headers }).catch(() => {});
}
