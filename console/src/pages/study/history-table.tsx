import { formatDuration, parseStudyTime, showStudyTime, type StudyPage } from '../../api/study.js';

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
      {!page ? (
        <p class="muted">{props.loading ? 'Loading…' : 'No history to show.'}</p>
      ) : page.studys.length === 0 ? (
        <p class="muted">No sessions yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Study sessions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {page.studys.map((s) => (
                <tr key={s.id} data-study={s.id}>
                  <td>{showStudyTime(s.start_time)}</td>
                  <td>{s.end_time ? showStudyTime(s.end_time) : <span class="badge good">in progress</span>}</td>
                  <td>{s.end_time ? formatDuration((parseStudyTime(s.end_time) - parseStudyTime(s.start_time)) / 1000) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
