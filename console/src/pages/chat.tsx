import { PageHeader } from '../ui/components.js';

/** ChatPage (to be built). */
export function ChatPage() {
  return <PageHeader title="ChatPage" />;
}
