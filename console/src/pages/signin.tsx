import { PageHeader } from '../ui/components.js';

/** SignInPage (to be built). */
export function SignInPage() {
  return <PageHeader title="SignInPage" />;
}
