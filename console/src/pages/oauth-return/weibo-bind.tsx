import { signIn } from '../../api/accounts.js';
import { errorMessage, request } from '../../api/http.js';
import { Card, Field, Notice } from '../../ui/components.js';
import { useFormState } from '../../ui/use-form.js';
import type { OAuthState } from '../oauth-return.js';

const EMPTY = { username: '', password: '', phone: '', email: '' };

/**
 * First Weibo sign-in: create an account bound to this Weibo identity
 * (`POST /v1/users/weibo/users` with the signed ticket), then sign in with it. New
 * accounts wait for e-mail activation, which the result says.
 */
export function WeiboBindForm(props: { ticket: string; onDone: (state: OAuthState | null) => void }) {
  const { form, set, anyBlank, error, setError, busy, submitWith } = useFormState(EMPTY, 'The account could not be created');

  const submit = submitWith(async () => {
    if (anyBlank()) return setError('Fill in every field.');
    const res = await request('POST', '/v1/users/weibo/users', {
      json: { uid: props.ticket, username: form.username.trim(), password: form.password, phone: form.phone.trim(), email: form.email.trim() },
    });
    if (res.body?.code !== 200) return setError(errorMessage(res.body, 'The account could not be created'));
    const login = await signIn(form.username.trim(), form.password);
    if (login.status === 200) return props.onDone(null);
    if (login.status === 403) {
      return props.onDone({
        kind: 'pending',
        message: `Account ${form.username.trim()} created and linked to Weibo. We e-mailed an activation link to ${form.email.trim()}: open it, then sign in.`,
      });
    }
    props.onDone({ kind: 'failed', message: errorMessage(login.body, 'Sign-in failed') });
  });

  return (
    <Card title="Create your account">
      <p class="muted">This Weibo account is new here. Choose a username and password to link it to.</p>
      {error && <Notice kind="error">{error}</Notice>}
      <form onSubmit={submit} noValidate>
        <Field label="Username" name="username" autoComplete="username" value={form.username} onInput={set('username')} required />
        <Field label="Password" type="password" name="new-password" autoComplete="new-password" value={form.password} onInput={set('password')} required />
        <Field label="Phone" type="tel" name="phone" autoComplete="tel" value={form.phone} onInput={set('phone')} required />
        <Field label="E-mail" type="email" name="email" autoComplete="email" value={form.email} onInput={set('email')} required />
        <button type="submit" class="wide" disabled={busy}>
          {busy ? 'Creating…' : 'Create account and sign in'}
        </button>
      </form>
    </Card>
  );
}
