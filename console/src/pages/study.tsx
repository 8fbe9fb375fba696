import { useEffect, useState } from 'preact/hooks';
import { NetworkError } from '../api/http.js';
import {
  fetchStudyStats,
  listMyStudys,
  startStudy,
  stopStudy,
  type Study,
  type StudyPage as StudyList,
  type StudyResult,
  type StudyStats,
} from '../api/study.js';
import { Notice, PageHeader } from '../ui/components.js';
import { StudyDayChart } from './study/day-chart.js';
import { StudyHistory } from './study/history-table.js';
import { StudyTimer } from './study/timer.js';
import './study.css';

async function safely<T>(call: () => Promise<StudyResult<T>>): Promise<StudyResult<T>> {
  try {
    return await call();
  } catch (err) {
    return { error: err instanceof NetworkError ? err.message : 'The study service could not be reached', status: 0 };
  }
}

/**
 * The library-study timer: start and stop a session (an open one is found again after a
 * reload), the history page by page, and the last 30 days as a chart and a table.
 */
export function StudyPage() {
  const [list, setList] = useState<StudyList | null>(null);
  const [open, setOpen] = useState<Study | null>(null);
  const [stats, setStats] = useState<StudyStats | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  /** Loads a history page; the first page also tells whether a session is open. */
  const loadHistory = async (link?: string) => {
    setLoading(true);
    const res = await safely(() => listMyStudys(link));
    setLoading(false);
    if ('error' in res) return setError(res.error);
    setList(res.data);
    if (!link || !res.data.prev) setOpen(res.data.studys.find((s) => s.end_time === null) ?? null);
  };

  const loadStats = async () => {
    const res = await safely(fetchStudyStats);
    if ('error' in res) setError(res.error);
    else setStats(res.data);
  };

  useEffect(() => {
    void loadHistory();
    void loadStats();
  }, []);

  const act = async (call: () => Promise<StudyResult<Study>>, done: (s: Study) => string) => {
    setBusy(true);
    setError(null);
    setInfo(null);
    const res = await safely(call);
    setBusy(false);
    if ('error' in res) {
      setError(res.error);
      await loadHistory(); // the server may know of a session this page did not
      return;
    }
    setInfo(done(res.data));
    await Promise.all([loadHistory(), loadStats()]);
  };

  return (
    <div class="study-page">
      <PageHeader title="Study" />
      {error && (
        <Notice kind="error">
          {error}{' '}
          <button type="button" class="link" onClick={() => setError(null)}>
            Dismiss
          </button>
        </Notice>
      )}
      {info && <Notice kind="success">{info}</Notice>}
      <div class="study-layout">
        <StudyTimer
          open={open}
          busy={busy}
          ready={!loading || list !== null}
          onStart={() => void act(startStudy, () => 'Session started. Good luck!')}
          onStop={() => open && void act(() => stopStudy(open.id), () => 'Session saved.')}
        />
        <StudyDayChart stats={stats} />
      </div>
      <StudyHistory page={list} loading={loading} onFollow={(link) => void loadHistory(link)} />
    </div>
  );
}
