import { PageHeader } from '../ui/components.js';

/** LivePage (to be built). */
export function LivePage() {
  return <PageHeader title="LivePage" />;
}
