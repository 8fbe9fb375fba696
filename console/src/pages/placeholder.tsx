import { PageHeader } from '../ui/components.js';

/** Shown for a page that is not there (a mistyped link). */
export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no console page here. <a href="/#/">Go to the overview</a>.
      </p>
    </>
  );
}
