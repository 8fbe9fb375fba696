import { useState } from 'preact/hooks';
import { clock, fetchLiveStreams, searchStreamers, type LiveStream } from '../../api/live.js';
import { href } from '../../router.js';
import { Card, Field, Notice, PageHeader } from '../../ui/components.js';
import { useEvery } from './use-live-topic.js';

const watchHref = (name: string) => href(`/live/${encodeURIComponent(name)}`);

/** `#/live`: who is live now (refreshed every 10 s) and a search over every streamer. */
export function StreamList() {
  const [streams, setStreams] = useState<LiveStream[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [results, setResults] = useState<Array<{ s_name: string; live: boolean }> | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);

  useEvery(10_000, true, () => {
    void fetchLiveStreams().then((r) => {
      setListError(r.error ?? null);
      if (r.data) setStreams(r.data);
    });
  }, true);

  async function search(e: Event) {
    e.preventDefault();
    setSearchError(null);
    if (text.trim() === '') {
      setSearchError('Enter part of a streamer name.');
      return;
    }
    setSearching(true);
    const r = await searchStreamers(text.trim());
    setSearching(false);
    setResults(r.data ?? []);
    if (r.error) setSearchError(r.error);
  }

  return (
    <>
      <PageHeader title="Live">
        <a class="button" href={href('/live/studio')}>
          Your studio
        </a>
      </PageHeader>
      <Card title="Live now">
        {listError && <Notice kind="error">Could not load the live streams: {listError}</Notice>}
        {streams === null && !listError && <p class="muted">Loading…</p>}
        {streams && streams.length === 0 && <p class="muted">Nobody is live right now.</p>}
        {streams && streams.length > 0 && (
          <ul class="stream-cards">
            {streams.map((s) => (
              <li key={s.s_name}>
                <a href={watchHref(s.s_name)}>
                  <span class="stream-name">{s.s_name}</span>
                  <span class="badge bad">LIVE</span>
                  <span class="muted">
                    {s.i_people} watching · on air {clock(s.elapsed_s)}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="Find a streamer">
        <form role="search" onSubmit={search} class="row inline-form" aria-label="Find a streamer">
          <Field label="Streamer name" value={text} onInput={(e) => setText(e.currentTarget.value)} hint="Part of a name is enough" />
          <button type="submit" disabled={searching}>
            {searching ? 'Searching…' : 'Search'}
          </button>
        </form>
        {searchError && <Notice kind="error">{searchError}</Notice>}
        {results && results.length > 0 && (
          <ul class="search-results" aria-label="Search results">
            {results.map((r) => (
              <li key={r.s_name}>
                <a href={watchHref(r.s_name)}>{r.s_name}</a>{' '}
                {r.live ? <span class="badge bad">LIVE</span> : <span class="badge">offline</span>}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
