import { useEffect, useState } from 'preact/hooks';
import { errorMessage, NetworkError, request } from '../api/http.js';
import { href, route } from '../router.js';
import { Card, Notice, PageHeader } from '../ui/components.js';
import './accounts.css';

type State = { kind: 'working' } | { kind: 'done' } | { kind: 'failed'; message: string };

/** The e-mailed activation link (`/activate?code=...`) lands here and activates the account. */
export function ActivatePage() {
  const code = route.value.query.get('code');
  const [state, setState] = useState<State>({ kind: 'working' });

  useEffect(() => {
    if (!code) {
      setState({ kind: 'failed', message: 'This activation link has no code. Open the full link from the e-mail.' });
      return;
    }
    let live = true;
    request('GET', `/v1/users/activation?code=${encodeURIComponent(code)}`)
      .then((res) => {
        if (!live) return;
        if (res.body?.code === 200) setState({ kind: 'done' });
        else setState({ kind: 'failed', message: errorMessage(res.body, 'Activation failed') });
      })
      .catch((err) => live && setState({ kind: 'failed', message: err instanceof NetworkError ? err.message : 'Activation failed' }));
    return () => {
      live = false;
    };
  }, [code]);

  return (
    <div class="auth-box">
      <PageHeader title="Account activation" />
      <Card>
        {state.kind === 'working' && <p role="status">Activating your account…</p>}
        {state.kind === 'done' && <Notice kind="success">Account activated, you can sign in.</Notice>}
        {state.kind === 'failed' && <Notice kind="error">{state.message}</Notice>}
        {state.kind !== 'working' && (
          <p>
            <a class="button" href={href('/signin')}>
              Go to sign in
            </a>
          </p>
        )}
      </Card>
    </div>
  );
}
