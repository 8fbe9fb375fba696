import { PageHeader } from '../ui/components.js';

/** RegisterPage (to be built). */
export function RegisterPage() {
  return <PageHeader title="RegisterPage" />;
}
