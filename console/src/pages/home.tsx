import { PageHeader } from '../ui/components.js';

/** HomePage (to be built). */
export function HomePage() {
  return <PageHeader title="HomePage" />;
}
