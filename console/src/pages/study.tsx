import { PageHeader } from '../ui/components.js';

/** StudyPage (to be built). */
export function StudyPage() {
  return <PageHeader title="StudyPage" />;
}
