import { useEffect, useState } from 'preact/hooks';
import { errorMessage, NetworkError, request } from '../../api/http.js';
import { webAuth } from '../../api/session.js';
import { Card, Notice } from '../../ui/components.js';

/** One row of `GET /user/access-requests`. */
interface AccessRequest {
  id: number;
  user_id: number;
  s_name: string;
  requested_level: number;
  status: string;
  created_at: string;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** Pending access-level requests with Approve and Reject. */
export function AccessRequests(props: { onDecided: () => void }) {
  const [rows, setRows] = useState<AccessRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState<number | null>(null);

  async function load() {
    try {
      const res = await request('GET', '/user/access-requests?status=pending', { headers: webAuth() });
      if (res.ok) {
        setRows(res.body.requests);
        setError(null);
      } else setError(errorMessage(res.body, 'Access requests could not be loaded'));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'Access requests could not be loaded');
    }
  }

  useEffect(() => void load(), []);

  async function decide(row: AccessRequest, action: 'approve' | 'reject') {
    setBusy(row.id);
    setError(null);
    try {
      const res = await request('POST', `/user/access-requests/${row.id}/${action}`, { headers: webAuth() });
      if (res.ok) {
        setStatus(`${action === 'approve' ? 'Approved' : 'Rejected'} level ${row.requested_level} for ${row.s_name}.`);
        props.onDecided();
      } else setError(errorMessage(res.body, 'The decision could not be saved'));
      await load();
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'The decision could not be saved');
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card title="Pending access requests">
      {error && <Notice kind="error">{error}</Notice>}
      <p class="sr-only" role="status">
        {status}
      </p>
      {status && <p class="muted" aria-hidden="true">{status}</p>}
      {rows === null && !error && <p class="muted">Loading…</p>}
      {rows && rows.length === 0 && <p class="muted">No requests are waiting.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap">
          <table class="requests stack-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Level asked</th>
                <th scope="col">Asked</th>
                <th scope="col">
                  <span class="sr-only">Decision</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td data-label="User">{row.s_name}</td>
                  <td data-label="Level asked">{row.requested_level}</td>
                  <td data-label="Asked">{when(row.created_at)}</td>
                  <td class="actions">
                    <button type="button" disabled={busy === row.id} onClick={() => void decide(row, 'approve')} aria-label={`Approve level ${row.requested_level} for ${row.s_name}`}>
                      Approve
                    </button>
                    <button type="button" class="secondary" disabled={busy === row.id} onClick={() => void decide(row, 'reject')} aria-label={`Reject the request of ${row.s_name}`}>
                      Reject
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
