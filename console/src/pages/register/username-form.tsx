import { signIn, signInNotice } from '../../api/accounts.js';
import { errorMessage, request } from '../../api/http.js';
import { navigate } from '../../router.js';
import { Card, Field, Notice } from '../../ui/components.js';
import { useFormState } from '../../ui/use-form.js';

const EMPTY = { name: '', email: '', phone: '', password: '', confirmation: '' };

/** Web sign-up (`POST /user/signup`), then sign-in with the same name and password. */
export function UsernameForm() {
  const { form, set, anyBlank, error, setError, busy, submitWith } = useFormState(EMPTY, 'Registration failed');

  const submit = submitWith(async () => {
    if (anyBlank()) return setError('Fill in every field.');
    if (form.password !== form.confirmation) return setError('The two passwords differ.');
    const res = await request('POST', '/user/signup', {
      json: { s_name: form.name.trim(), s_email: form.email.trim(), s_phone: form.phone.trim(), s_password: form.password, s_password_confirmation: form.confirmation },
    });
    if (res.status !== 200) return setError(errorMessage(res.body, 'Registration failed'));
    const login = await signIn(form.name.trim(), form.password);
    if (login.status === 200) return navigate('/');
    signInNotice.value = `Account created. ${errorMessage(login.body, 'Sign in to continue')}.`;
    navigate('/signin');
  });

  return (
    <Card>
      {error && <Notice kind="error">{error}</Notice>}
      <form onSubmit={submit} noValidate>
        <Field label="Username" name="username" autoComplete="username" value={form.name} onInput={set('name')} required />
        <Field label="E-mail" type="email" name="email" autoComplete="email" value={form.email} onInput={set('email')} required />
        <Field label="Phone" type="tel" name="phone" autoComplete="tel" value={form.phone} onInput={set('phone')} required />
        <Field label="Password" type="password" name="new-password" autoComplete="new-password" value={form.password} onInput={set('password')} required />
        <Field
          label="Confirm password"
          type="password"
          name="confirm-password"
          autoComplete="new-password"
          value={form.confirmation}
          onInput={set('confirmation')}
          required
        />
        <button type="submit" class="wide" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </Card>
  );
}
