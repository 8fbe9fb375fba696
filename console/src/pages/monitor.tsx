import { PageHeader } from '../ui/components.js';

/** MonitorPage (to be built). */
export function MonitorPage() {
  return <PageHeader title="MonitorPage" />;
}
