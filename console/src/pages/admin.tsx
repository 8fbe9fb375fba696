import { useState } from 'preact/hooks';
import { PageHeader } from '../ui/components.js';
import './admin.css';
import { AccessRequests } from './admin/access-requests.js';
import { UsersTable } from './admin/users-table.js';

/** Admin (level 9): pending access-level requests, and every user with their level. */
export function AdminPage() {
  // Bumped when a decision changes someone's level, so the user list reloads.
  const [changes, setChanges] = useState(0);
  return (
    <>
      <PageHeader title="Admin" />
      <AccessRequests onDecided={() => setChanges((n) => n + 1)} />
      <UsersTable reloadKey={changes} />
    </>
  );
}
