import { useEffect, useState } from 'preact/hooks';
import { signIn } from '../../api/accounts.js';
import { errorMessage, NetworkError, request } from '../../api/http.js';
import { navigate } from '../../router.js';
import { Card, Field, Notice } from '../../ui/components.js';
import { Captcha, newCaptchaId } from './captcha.js';

/** Seconds before another code may be asked for (the server allows one send a minute per phone). */
const RESEND_WAIT_S = 60;
const MOBILE = /^1[3-9]\d{9}$/;

/**
 * Phone registration (iHome front end): image captcha, texted code, then
 * `POST /api/v1.0/users` and a web sign-in with the new account.
 */
export function PhoneForm() {
  const [mobile, setMobile] = useState('');
  const [captchaId, setCaptchaId] = useState(newCaptchaId);
  const [captchaText, setCaptchaText] = useState('');
  const [smsCode, setSmsCode] = useState('');
  const [password, setPassword] = useState('');
  const [password2, setPassword2] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [countdown, setCountdown] = useState(0);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (countdown <= 0) return;
    const timer = setTimeout(() => setCountdown(countdown - 1), 1000);
    return () => clearTimeout(timer);
  }, [countdown]);

  function refreshCaptcha() {
    setCaptchaId(newCaptchaId());
    setCaptchaText('');
  }

  async function sendCode() {
    setError(null);
    setSent(null);
    if (!MOBILE.test(mobile.trim())) return setError('Enter a mainland China mobile number (11 digits starting with 1).');
    if (!captchaText.trim()) return setError('Type the characters shown in the picture.');
    try {
      const query = new URLSearchParams({ image_code_id: captchaId, image_code_text: captchaText.trim() });
      const res = await request('GET', `/api/v1.0/sms_codes/${encodeURIComponent(mobile.trim())}?${query}`);
      const errcode = String(res.body?.errcode ?? '');
      // Every check past "parameters present" spends the picture: show a new one.
      if (errcode !== '4103') refreshCaptcha();
      if (errcode === '0') {
        setSent(`Code sent to ${mobile.trim()}. It is valid for 5 minutes.`);
        setCountdown(RESEND_WAIT_S);
      } else setError(errorMessage(res.body, 'The code could not be sent'));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'The code could not be sent');
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setError(null);
    if (!MOBILE.test(mobile.trim())) return setError('Enter a mainland China mobile number (11 digits starting with 1).');
    if (!smsCode.trim() || !password) return setError('Enter the texted code and a password.');
    if (password !== password2) return setError('The two passwords differ.');
    setBusy(true);
    try {
      const res = await request('POST', '/api/v1.0/users', {
        json: { mobile: mobile.trim(), sms_code: smsCode.trim(), password, password2 },
      });
      if (String(res.body?.errcode) !== '0') return setError(errorMessage(res.body, 'Registration failed'));
      const login = await signIn(String(res.body.data?.name ?? mobile.trim()), password);
      if (login.status === 200) return navigate('/');
      setError(`Account created, but signing in failed: ${errorMessage(login.body)}`);
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'Registration failed');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      {error && <Notice kind="error">{error}</Notice>}
      {sent && <Notice kind="success">{sent}</Notice>}
      <form onSubmit={submit} noValidate>
        <Field label="Mobile number" type="tel" name="mobile" autoComplete="tel" inputMode="numeric" value={mobile} onInput={(e) => setMobile(e.currentTarget.value)} required />
        <Captcha id={captchaId} onRefresh={refreshCaptcha} />
        <div class="code-row">
          <Field
            label="Characters in the picture"
            name="captcha"
            autoComplete="off"
            autoCapitalize="characters"
            value={captchaText}
            onInput={(e) => setCaptchaText(e.currentTarget.value)}
          />
          <button type="button" class="secondary" onClick={() => void sendCode()} disabled={countdown > 0}>
            {countdown > 0 ? `Resend in ${countdown} s` : 'Send code'}
          </button>
        </div>
        <Field label="SMS code" name="sms-code" autoComplete="one-time-code" inputMode="numeric" value={smsCode} onInput={(e) => setSmsCode(e.currentTarget.value)} required />
        <Field label="Password" type="password" name="new-password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        <Field label="Confirm password" type="password" name="confirm-password" autoComplete="new-password" value={password2} onInput={(e) => setPassword2(e.currentTarget.value)} required />
        <button type="submit" class="wide" disabled={busy}>
          {busy ? 'Registering…' : 'Register'}
        </button>
      </form>
    </Card>
  );
}
