import { PageHeader } from '../ui/components.js';

/** ActivatePage (to be built). */
export function ActivatePage() {
  return <PageHeader title="ActivatePage" />;
}
