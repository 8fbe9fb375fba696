import { PageHeader } from '../ui/components.js';

/** OAuthReturnPage (to be built). */
export function OAuthReturnPage() {
  return <PageHeader title="OAuthReturnPage" />;
}
