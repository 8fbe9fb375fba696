import { useEffect, useState } from 'preact/hooks';
import { clock, endStream, fetchStreamOf, goLive, streamerInfo, streamTime, type LiveStream, type StreamerInfo, type StreamSummary } from '../../api/live.js';
import { session } from '../../api/session.js';
import { href } from '../../router.js';
import { Card, Notice, PageHeader } from '../../ui/components.js';
import { EventFeed, StatRow } from './event-feed.js';
import { useEvery, useLiveTopic } from './use-live-topic.js';

/**
 * `#/live/studio`: the signed-in user's own stream. Go live, watch viewers, elapsed time,
 * gifts and follows arrive live (hub topic `live:<me>`), end the stream and read its summary.
 */
export function Studio() {
  const me = session.value!.name;
  const [stream, setStream] = useState<LiveStream | null | undefined>(undefined);
  const [info, setInfo] = useState<StreamerInfo | null>(null);
  const [summary, setSummary] = useState<StreamSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [people, setPeople] = useState(0);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());

  const refresh = async () => {
    const [s, i] = await Promise.all([fetchStreamOf(me), streamerInfo(me)]);
    if (s.error !== undefined) setError(s.error);
    else {
      setStream(s.data);
      if (s.data) setPeople(s.data.i_people);
    }
    if (i.data) setInfo(i.data);
  };
  useEffect(() => void refresh(), [me]);

  // Elapsed time comes from the server (`current_time`), re-synced every minute, ticking locally in between.
  const syncTime = async () => {
    const r = await streamTime(me);
    if (r.data) setStartedAt(Date.now() - r.data.elapsed_s * 1000);
  };
  const live = Boolean(stream);
  useEvery(60_000, live, () => void syncTime(), true);
  useEvery(1000, live, () => setNow(Date.now()));

  const feed = useLiveTopic(me, (event) => {
    if (event.type === 'viewers') setPeople(event.i_people);
    if (event.type === 'gift' || event.type === 'follow') void refresh();
  });

  async function start() {
    setBusy(true);
    setError(null);
    setSummary(null);
    const r = await goLive(me);
    setBusy(false);
    if (r.error !== undefined) return setError(r.error);
    setStartedAt(Date.now());
    await refresh();
  }

  async function stop() {
    setBusy(true);
    setError(null);
    const r = await endStream(me);
    setBusy(false);
    if (r.error !== undefined) return setError(r.error);
    setSummary(r.data);
    setStartedAt(null);
    await refresh();
  }

  const elapsed = startedAt === null ? (stream?.elapsed_s ?? 0) : (now - startedAt) / 1000;
  return (
    <>
      <PageHeader title="Your studio">
        <a class="button secondary" href={href('/live')}>
          All streams
        </a>
      </PageHeader>
      {error && <Notice kind="error">{error}</Notice>}
      {summary && (
        <Card title="Stream ended" class="stream-summary">
          <StatRow
            stats={[
              ['Duration', clock(summary.duration_s), 'duration'],
              ['Peak viewers', summary.peak_people, 'peak'],
              ['Gifts received', summary.donated, 'donated'],
              ['New followers', summary.new_followers, 'new-followers'],
            ]}
          />
        </Card>
      )}
      <Card title={stream ? `${me} is live` : 'Off air'} class="studio">
        {stream === undefined && !error && <p class="muted">Loading…</p>}
        {stream === null && (
          <>
            <p>You are not live. Going live lists your stream for everyone and starts the clock.</p>
            <button type="button" onClick={() => void start()} disabled={busy}>
              {busy ? 'Starting…' : 'Go live'}
            </button>
          </>
        )}
        {stream && (
          <>
            <StatRow
              stats={[
                ['On air', clock(elapsed), 'elapsed'],
                ['Viewers now', people, 'viewers'],
                ['Gifts this stream', stream.donated, 'stream-donated'],
                ['New followers', stream.new_followers, 'stream-followers'],
              ]}
            />
            <p class="muted">
              Viewers watch at <a href={href(`/live/${encodeURIComponent(me)}`)}>{`#/live/${me}`}</a>
            </p>
            <button type="button" class="danger" onClick={() => void stop()} disabled={busy}>
              {busy ? 'Ending…' : 'End stream'}
            </button>
          </>
        )}
      </Card>
      <div class="live-columns">
        <Card title="Activity">
          <EventFeed items={feed} label="Gifts and follows" empty="Gifts and follows appear here as they happen." />
        </Card>
        {info && (
          <Card title="Channel totals">
            <StatRow
              stats={[
                ['Followers', info.i_follower, 'followers'],
                ['Gifts, all time', info.i_donate, 'donations'],
                ['Streams', info.streams, 'streams'],
                ['Time on air', clock(info.time_streaming), 'time-streaming'],
              ]}
            />
          </Card>
        )}
      </div>
    </>
  );
}
