import { useEffect, useState } from 'preact/hooks';
import { clock, fetchStreamOf, streamerInfo, watchHeartbeat, type LiveStream, type StreamerInfo } from '../../api/live.js';
import { session } from '../../api/session.js';
import { href } from '../../router.js';
import { Card, Notice, PageHeader } from '../../ui/components.js';
import { EventFeed, StatRow } from './event-feed.js';
import { SupportPanel } from './support-panel.js';
import { useEvery, useLiveTopic } from './use-live-topic.js';

/** How often a watching viewer says so (the server drops a viewer unseen for 30 s). */
const HEARTBEAT_MS = 15_000;

/**
 * `#/live/<s_name>`: watching a stream. While it is live the page sends a `watch` heartbeat
 * every 15 s; viewers, gifts and follows arrive over the hub topic `live:<s_name>`; the
 * viewer can follow and send gifts.
 */
export function Viewer(props: { sName: string }) {
  const { sName } = props;
  const own = session.value?.name === sName;
  const [stream, setStream] = useState<LiveStream | null | undefined>(undefined);
  const [info, setInfo] = useState<StreamerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [people, setPeople] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [openedAt] = useState(Date.now());

  const refresh = async () => {
    const [s, i] = await Promise.all([fetchStreamOf(sName), streamerInfo(sName)]);
    if (s.error !== undefined) setError(s.error);
    else {
      setStream(s.data);
      if (s.data) setPeople(s.data.i_people);
    }
    if (i.error !== undefined) setError(i.error);
    else setInfo(i.data);
  };
  useEffect(() => void refresh(), [sName]);

  const live = Boolean(stream);
  useEvery(HEARTBEAT_MS, live && !own, () => {
    void watchHeartbeat(sName).then((r) => {
      if (r.data) setPeople(r.data.i_people);
      else if (r.error === 'Not live') setStream(null);
      else setError(r.error);
    });
  }, true);
  useEvery(1000, live, () => setNow(Date.now()));

  const feed = useLiveTopic(sName, (event) => {
    if (event.type === 'viewers') {
      setPeople(event.i_people);
      // The end of a stream is announced as zero viewers; check whether it is over.
      if (event.i_people === 0) void refresh();
    }
    if (event.type === 'gift' || event.type === 'follow') void streamerInfo(sName).then((r) => r.data && setInfo(r.data));
  });

  const elapsed = stream ? stream.elapsed_s + (now - openedAt) / 1000 : 0;
  return (
    <>
      <PageHeader title={sName}>
        {live ? <span class="badge bad live-badge">LIVE</span> : stream === null ? <span class="badge">offline</span> : null}
        <a class="button secondary" href={href('/live')}>
          All streams
        </a>
      </PageHeader>
      {error && <Notice kind="error">{error}</Notice>}
      {own && (
        <Notice kind="info">
          This is your channel. <a href={href('/live/studio')}>Open your studio</a> to go live or end the stream.
        </Notice>
      )}
      <Card title={live ? 'Watching' : 'Stream'} class="viewer">
        {stream === undefined && !error && <p class="muted">Loading…</p>}
        {stream === null && <p>{sName} is not live right now. You can still follow them or send a gift.</p>}
        {stream && (
          <div class="stage" role="img" aria-label={`${sName}'s stream`}>
            <span>{sName}</span>
          </div>
        )}
        <StatRow
          stats={[
            ['Viewers now', people, 'viewers'],
            ['On air', live ? clock(elapsed) : '—', 'elapsed'],
            ['Followers', info?.i_follower ?? '—', 'followers'],
            ['Gifts received', info?.i_donate ?? '—', 'donations'],
          ]}
        />
      </Card>
      <div class="live-columns">
        {!own && info && <SupportPanel sName={sName} onTotals={(t) => setInfo({ ...info, i_follower: t.i_follower, i_donate: t.i_donate })} />}
        <Card title="Activity">
          <EventFeed items={feed} label={`Gifts and follows for ${sName}`} empty="Gifts and follows appear here as they happen." />
        </Card>
      </div>
    </>
  );
}
