import { useEffect, useState } from 'preact/hooks';
import { startSession, takeNext } from '../api/accounts.js';
import { errorMessage, NetworkError, request } from '../api/http.js';
import { href, navigate, route } from '../router.js';
import { Card, Notice, PageHeader } from '../ui/components.js';
import './accounts.css';
import { WeiboBindForm } from './oauth-return/weibo-bind.js';

type State =
  | { kind: 'working' }
  | { kind: 'failed'; message: string }
  | { kind: 'bind'; ticket: string }
  | { kind: 'pending'; message: string };

const PENDING = 'This account is not activated yet. Open the activation link we e-mailed you, then sign in with Weibo again.';

/** Finishes a Google or Weibo sign-in where the provider sends the browser back (`/oauth/google`, `/oauth/weibo`). */
async function finish(provider: string, query: URLSearchParams): Promise<State | null> {
  if (query.get('error')) return { kind: 'failed', message: `The provider refused the sign-in: ${query.get('error_description') ?? query.get('error')}` };
  if (provider === 'google') {
    const res = await request('GET', `/user/google-callback?${query}`);
    if (res.status !== 200) return { kind: 'failed', message: errorMessage(res.body, 'Google sign-in failed') };
    startSession(res.body);
    return null;
  }
  if (provider === 'weibo') {
    const res = await request('GET', `/v1/users/weibo/users?${query}`);
    if (res.body?.code === 201 && typeof res.body.uid === 'string') return { kind: 'bind', ticket: res.body.uid };
    if (res.body?.code !== 200) return { kind: 'failed', message: errorMessage(res.body, 'Weibo sign-in failed') };
    return exchange(res.body.token);
  }
  return { kind: 'failed', message: 'Unknown sign-in provider.' };
}

/** Trades the dadashop token from a Weibo sign-in for the console session. */
export async function exchange(token: unknown): Promise<State | null> {
  const res = await request('POST', '/user/token-exchange', { json: { token } });
  if (res.status === 403) return { kind: 'pending', message: PENDING };
  if (res.status !== 200) return { kind: 'failed', message: errorMessage(res.body, 'Sign-in failed') };
  startSession(res.body);
  return null;
}

/** Where OAuth providers send the browser back; signs in, or asks a new Weibo user to create an account. */
export function OAuthReturnPage() {
  const provider = route.value.path.split('/')[2] ?? '';
  const [state, setState] = useState<State>({ kind: 'working' });

  useEffect(() => {
    // The code is single-use: read it once, then drop it from the address bar.
    const query = new URLSearchParams(route.value.query);
    history.replaceState(null, '', route.value.path);
    finish(provider, query)
      .then((next) => (next ? setState(next) : navigate(takeNext())))
      .catch((err) => setState({ kind: 'failed', message: err instanceof NetworkError ? err.message : 'Sign-in failed' }));
  }, []);

  const title = provider === 'weibo' ? 'Sign in with Weibo' : provider === 'google' ? 'Sign in with Google' : 'Sign in';
  return (
    <div class="auth-box">
      <PageHeader title={title} />
      {state.kind === 'working' && (
        <Card>
          <p role="status">Finishing sign-in…</p>
        </Card>
      )}
      {state.kind === 'bind' && (
        <WeiboBindForm ticket={state.ticket} onDone={(next) => (next ? setState(next) : navigate(takeNext()))} />
      )}
      {(state.kind === 'failed' || state.kind === 'pending') && (
        <Card>
          <Notice kind={state.kind === 'failed' ? 'error' : 'info'}>{state.message}</Notice>
          <a class="button" href={href('/signin')}>
            Back to sign in
          </a>
        </Card>
      )}
    </div>
  );
}

export type { State as OAuthState };
