import { useEffect, useState } from 'preact/hooks';
import { errorMessage, NetworkError, request } from '../../api/http.js';
import { session, webAuth } from '../../api/session.js';
import { Card, Field, Notice } from '../../ui/components.js';
import { DataTable } from '../../ui/table.js';
import { LevelEditor } from './level-editor.js';

/** One row of `GET /user/admin/users`. */
export interface AdminUser {
  id: number;
  s_name: string;
  s_email: string | null;
  s_phone: string | null;
  access_level: number;
  status: string;
  created_at: string;
}

interface UserPage {
  users: AdminUser[];
  page: number;
  page_size: number;
  total: number;
}

/** Every user, searchable and a page at a time, each with a level editor. */
export function UsersTable(props: { reloadKey: number }) {
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const [data, setData] = useState<UserPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  async function load() {
    try {
      const params = new URLSearchParams({ q: query, page: String(page) });
      const res = await request<UserPage>('GET', `/user/admin/users?${params}`, { headers: webAuth() });
      if (res.ok) {
        setData(res.body);
        setError(null);
      } else setError(errorMessage(res.body, 'Users could not be loaded'));
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : 'Users could not be loaded');
    }
  }

  useEffect(() => void load(), [query, page, props.reloadKey]);

  function search(event: Event) {
    event.preventDefault();
    setQuery(draft.trim());
    setPage(1);
  }

  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;
  const me = session.value?.userId;
  return (
    <Card title="Users">
      <form class="row user-search" role="search" onSubmit={search}>
        <Field label="Search users" hint="Name, e-mail or phone" type="search" name="q" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <p class="sr-only" role="status">
        {status}
      </p>
      {data && (
        <>
          <p class="muted">
            {data.total === 1 ? '1 user' : `${data.total} users`}
            {query && ` matching “${query}”`}
          </p>
          <DataTable
            class="users"
            stackOnPhones
            caption="Users"
            columns={[
              {
                header: 'Name',
                cell: (user) => (
                  <>
                    {user.s_name}
                    {user.status === 'pending' && <span class="badge bad">not activated</span>}
                  </>
                ),
              },
              { header: 'E-mail', cell: (user) => user.s_email ?? '—' },
              { header: 'Phone', cell: (user) => user.s_phone ?? '—' },
              { header: 'Created', cell: (user) => new Date(user.created_at).toLocaleDateString() },
              { header: 'Level', cell: (user) => <LevelEditor user={user} self={user.id === me} onSaved={(message) => setStatus(message)} /> },
            ]}
            rows={data.users}
            rowKey={(user) => user.id}
            empty={query ? `No user matches “${query}”.` : 'No users yet.'}
          />
          <nav class="pager" aria-label="User pages">
            <button type="button" class="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              Previous
            </button>
            <span>
              Page {data.page} of {pages}
            </span>
            <button type="button" class="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
              Next
            </button>
          </nav>
        </>
      )}
    </Card>
  );
}
