import { useEffect, useState } from 'preact/hooks';
import { loadProviders, providers, rememberNext, safeNext, signIn, signInNotice } from '../api/accounts.js';
import { errorMessage, NetworkError, request } from '../api/http.js';
import { href, navigate, route } from '../router.js';
import { Card, Field, Notice, PageHeader } from '../ui/components.js';
import './accounts.css';

/** What a failed `/user/login` means to the person typing. */
function signInError(status: number, body: unknown): string {
  if (status === 403) return 'This account is not activated yet. Open the activation link we e-mailed you, then sign in.';
  if (status === 429) return 'Too many attempts. Wait a minute and try again.';
  return errorMessage(body, 'Sign-in failed');
}

/** Sign in with a name (username, e-mail or phone) and password, or with Google or Weibo when configured. */
export function SignInPage() {
  const next = safeNext(route.value.query.get('next'));
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => void loadProviders(), []);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!name.trim() || !password) {
      setError('Enter your name and password.');
      return;
    }
    setBusy(true);
    try {
      const res = await signIn(name.trim(), password);
      if (res.status === 200) {
        setPassword('');
        navigate(next);
        return;
      }
      setError(signInError(res.status, res.body));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'Sign-in failed');
    } finally {
      setBusy(false);
    }
  }

  async function weibo() {
    setError(null);
    try {
      const res = await request('GET', '/v1/users/weibo/authorization');
      if (res.body?.code === 200 && typeof res.body.oauth_url === 'string') {
        rememberNext(next);
        location.assign(res.body.oauth_url);
      } else setError(errorMessage(res.body, 'Weibo sign-in is not available'));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'Weibo sign-in is not available');
    }
  }

  const notice = signInNotice.value;
  const options = providers.value;
  return (
    <div class="auth-box">
      <PageHeader title="Sign in" />
      {notice && <Notice kind="warning">{notice}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <Card>
        <form onSubmit={submit} noValidate>
          <Field
            label="Name"
            hint="Username, e-mail or phone number"
            name="username"
            autoComplete="username"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
          <button type="submit" class="wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {options && (options.google || options.weibo) && (
          <div class="providers" aria-label="Other ways to sign in" role="group">
            <p class="muted or">or</p>
            {options.google && (
              <a class="button secondary wide" href="/user/google-login" onClick={() => rememberNext(next)}>
                Sign in with Google
              </a>
            )}
            {options.weibo && (
              <button type="button" class="secondary wide" onClick={() => void weibo()}>
                Sign in with Weibo
              </button>
            )}
          </div>
        )}
      </Card>
      <p class="auth-switch">
        No account yet? <a href={href('/register')}>Create one</a>
      </p>
    </div>
  );
}
