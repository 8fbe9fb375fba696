import { PageHeader } from '../ui/components.js';

/** AdminPage (to be built). */
export function AdminPage() {
  return <PageHeader title="AdminPage" />;
}
