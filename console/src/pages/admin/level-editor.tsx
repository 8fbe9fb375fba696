import { useEffect, useState } from 'preact/hooks';
import { errorMessage, NetworkError, request } from '../../api/http.js';
import { webAuth } from '../../api/session.js';
import type { AdminUser } from './users-table.js';

const LEVELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** A 0..9 select and Save for one user's level (`PUT /user/admin/users/<id>/level`). */
export function LevelEditor(props: { user: AdminUser; self: boolean; onSaved: (message: string) => void }) {
  const { user } = props;
  const [saved, setSaved] = useState(user.access_level);
  const [level, setLevel] = useState(user.access_level);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setSaved(user.access_level);
    setLevel(user.access_level);
  }, [user.id, user.access_level]);

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await request('PUT', `/user/admin/users/${user.id}/level`, { headers: webAuth(), json: { access_level: level } });
      if (res.ok) {
        setSaved(level);
        props.onSaved(`${user.s_name} now has level ${level}.`);
      } else setError(errorMessage(res.body, 'The level could not be saved'));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'The level could not be saved');
    } finally {
      setBusy(false);
    }
  }

  const id = `level-${user.id}`;
  return (
    <form class="level-editor" onSubmit={save}>
      <label class="sr-only" for={id}>
        Level for {user.s_name}
      </label>
      <select id={id} value={level} onChange={(e) => setLevel(Number(e.currentTarget.value))} disabled={busy}>
        {LEVELS.map((n) => (
          <option key={n} value={n} disabled={props.self && n < 9}>
            {n}
          </option>
        ))}
        {!LEVELS.includes(saved) && <option value={saved}>{saved}</option>}
      </select>
      <button type="submit" class="secondary" disabled={busy || level === saved} aria-label={`Save level for ${user.s_name}`}>
        Save
      </button>
      {error && (
        <small class="field-error" role="alert">
          {error}
        </small>
      )}
    </form>
  );
}
