import { useEffect, useState } from 'preact/hooks';
import { errorMessage, NetworkError, request } from '../../api/http.js';
import { webAuth } from '../../api/session.js';
import { Card, Notice } from '../../ui/components.js';
import { DataTable } from '../../ui/table.js';

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
      <DataTable
        class="requests"
        stackOnPhones
        caption="Access requests waiting for a decision"
        columns={[
          { header: 'User', cell: (row) => row.s_name },
          { header: 'Level asked', cell: (row) => row.requested_level },
          { header: 'Asked', cell: (row) => when(row.created_at) },
          {
            header: 'Decision',
            headerHidden: true,
            cellClass: 'actions',
            cell: (row) => (
              <>
                <button type="button" disabled={busy === row.id} onClick={() => void decide(row, 'approve')} aria-label={`Approve level ${row.requested_level} for ${row.s_name}`}>
                  Approve
                </button>
                <button type="button" class="secondary" disabled={busy === row.id} onClick={() => void decide(row, 'reject')} aria-label={`Reject the request of ${row.s_name}`}>
                  Reject
                </button>
              </>
            ),
          },
        ]}
        rows={rows}
        rowKey={(row) => row.id}
        empty="No requests are waiting."
        loading={rows === null && !error}
      />
    </Card>
  );
}
