import { formatDuration, parseStudyTime, showStudyTime, type StudyPage } from '../../api/study.js';
import { DataTable } from '../../ui/table.js';

function pageNumber(page: StudyPage): number {
  const link = page.next ?? page.prev;
  if (!link) return 1;
  const n = Number(new URL(link, location.origin).searchParams.get('page') ?? '1');
  return page.next ? n - 1 : n + 1;
}

/** The user's sessions, newest first, 20 a page, with links to newer and older pages. */
export function StudyHistory(props: { page: StudyPage | null; loading: boolean; onFollow: (link: string) => void }) {
  const { page } = props;
  return (
    <section class="card study-history" aria-labelledby="study-history-h" aria-busy={props.loading}>
      <h2 id="study-history-h">History{page && <span class="muted"> ({page.count} sessions)</span>}</h2>
      <DataTable
        caption="Study sessions, newest first"
        columns={[
          { header: 'Started', cell: (study) => showStudyTime(study.start_time) },
          { header: 'Ended', cell: (study) => (study.end_time ? showStudyTime(study.end_time) : <span class="badge good">in progress</span>) },
          { header: 'Duration', cell: (study) => (study.end_time ? formatDuration((parseStudyTime(study.end_time) - parseStudyTime(study.start_time)) / 1000) : '—') },
        ]}
        rows={page?.studys ?? null}
        rowKey={(study) => study.id}
        empty="No sessions yet."
        loading={props.loading}
      />
      {!page && !props.loading && <p class="muted">No history to show.</p>}
      {page && (page.prev || page.next) && (
        <nav class="study-pager" aria-label="History pages">
          <button type="button" class="secondary" disabled={!page.prev || props.loading} onClick={() => page.prev && props.onFollow(page.prev)}>
            ← Newer
          </button>
          <span class="muted">Page {pageNumber(page)}</span>
          <button type="button" class="secondary" disabled={!page.next || props.loading} onClick={() => page.next && props.onFollow(page.next)}>
            Older →
          </button>
        </nav>
      )}
    </section>
  );
}
