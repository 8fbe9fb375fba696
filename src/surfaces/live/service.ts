import type { App } from '../../core/app.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { User } from '../../core/db/schema.js';
import { AppError } from '../../core/errors.js';
import { forgetAnnounced, publishLiveEvent } from './events.js';
import { channelTotals, closeLiveStream, insertLiveStream, newestLiveStreams, recordSupport, searchStreamers, streamHistory } from './repo.js';
import { elapsedSeconds, isoTime, mainPageFor, SEARCH_LIMIT } from './rules.js';
import { requireLive, requireManagedStreamer, requireStreamer } from './streamers.js';
import { forgetPendingPeak, peopleNow, pendingPeak } from './viewers.js';

/**
 * `POST /user/live`: starts a stream session row. Owner or admin only. `i_people` seeds
 * the front-end counter; the seed's `i_follower`/`i_donate` are checked but not taken,
 * because totals are the server's own sums and a client must not be able to set them.
 */
export async function goLive(app: App, actor: User, name: string, initialPeople: number): Promise<object> {
  const streamer = await requireManagedStreamer(app, actor, name);
  try {
    const stream = await insertLiveStream(app.db, streamer.id, app.clock.now(), initialPeople);
    return { message: 'JSON received successfully', stream_id: stream.id, started_at: isoTime(stream.started_at) };
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('bad_request', 's_name already exists');
    throw err;
  }
}

/** `POST /user/end`: closes the session (its duration then counts in `time_streaming`) and reports it. */
export async function endStream(app: App, actor: User, name: string): Promise<object> {
  const streamer = await requireManagedStreamer(app, actor, name);
  const stream = await requireLive(app, streamer);
  const finalPeak = Math.max(await peopleNow(app, stream), pendingPeak(app, stream.id));
  const closed = await closeLiveStream(app.db, stream.id, app.clock.now(), finalPeak);
  if (!closed) throw new AppError('bad_request', 'Not live');
  forgetAnnounced(app, stream.id);
  forgetPendingPeak(app, stream.id);
  await publishLiveEvent(app, streamer.username, { type: 'viewers', i_people: 0 });
  return {
    s_name: streamer.username,
    duration_s: elapsedSeconds(closed.started_at, closed.ended_at!),
    peak_people: closed.peak,
    donated: Number(closed.donated),
    new_followers: closed.new_followers,
  };
}

/** `current_time` (GET open, PUT owner-or-admin): when the stream started and for how long it has run. */
export async function streamTime(app: App, streamer: User): Promise<object> {
  const stream = await requireLive(app, streamer);
  return { s_name: streamer.username, started_at: isoTime(stream.started_at), elapsed_s: elapsedSeconds(stream.started_at, app.clock.now()) };
}

/**
 * `PUT /user/money_follow` by a logged-in viewer: a gift (positive integer) and/or a
 * follow (once per viewer; a repeat changes nothing), applied atomically, then announced
 * on `live:<s_name>`. Streamers cannot gift or follow themselves (400). Works whether
 * or not the stream is live; only a live stream's session row counts it as well.
 */
export async function supportStreamer(app: App, viewer: User, name: string, amount: number, follow: boolean): Promise<object> {
  const streamer = await requireStreamer(app, name);
  if (streamer.id === viewer.id && amount > 0) throw new AppError('bad_request', 'Cannot donate to yourself');
  if (streamer.id === viewer.id && follow) throw new AppError('bad_request', 'Cannot follow yourself');
  const totals =
    amount > 0 || follow
      ? await recordSupport(app.db, { streamerId: streamer.id, viewerId: viewer.id, amount, follow, at: app.clock.now() })
      : { ...(await channelTotals(app.db, streamer.id)), followed: false };
  if (amount > 0) await publishLiveEvent(app, streamer.username, { type: 'gift', from: viewer.username, amount });
  if (totals.followed) await publishLiveEvent(app, streamer.username, { type: 'follow', from: viewer.username });
  return { s_name: streamer.username, i_follower: totals.followers, i_donate: totals.donated };
}

/** `GET /user/ueinfo`: a streamer's totals; `time_streaming` sums the ended sessions, `streams` counts all. */
export async function streamerInfo(app: App, name: string): Promise<object> {
  const streamer = await requireStreamer(app, name);
  const totals = await channelTotals(app.db, streamer.id);
  const history = await streamHistory(app.db, streamer.id);
  return {
    s_name: streamer.username,
    i_follower: totals.followers,
    i_donate: totals.donated,
    time_streaming: Math.floor(history.endedMs / 1000),
    streams: history.streams,
  };
}

/** `POST /user/search`: names containing the text, `%` and `_` taken literally; live first, at most 50. */
export async function searchLive(app: App, needle: string): Promise<Array<{ s_name: string; live: boolean }>> {
  const rows = await searchStreamers(app.db, needle, SEARCH_LIMIT);
  if (rows.length === 0) throw new AppError('bad_request', `No results found for s_name: ${needle}`);
  return rows.map((r) => ({ s_name: r.username, live: r.live }));
}

/**
 * `GET /user/streams?limit=&s_name=` (beyond the seed): the streams live now, newest first,
 * with viewers now and this stream's peak, gifts and new followers so far, so a front end can list them without a search text (search needs one),
 * or learn whether one streamer is live without provoking a 400 (`s_name`: [] or one row).
 */
export async function liveNow(
  app: App,
  limit: number,
  name: string | null = null,
): Promise<Array<{ s_name: string; live: true; started_at: string; elapsed_s: number; i_people: number; peak: number; donated: number; new_followers: number }>> {
  const now = app.clock.now();
  const streams = await newestLiveStreams(app.db, limit, name);
  return Promise.all(
    streams.map(async (s) => {
      const people = await peopleNow(app, s);
      return {
        s_name: s.username,
        live: true as const,
        started_at: isoTime(s.started_at),
        elapsed_s: elapsedSeconds(s.started_at, now),
        i_people: people,
        peak: Math.max(s.peak, pendingPeak(app, s.id), people),
        donated: Number(s.donated),
        new_followers: s.new_followers,
      };
    }),
  );
}

/** `GET /user/access_right`: the caller's level and which page the front end should open. */
export function accessRight(user: User): object {
  return { s_name: user.username, access_right: user.access_level, main_page: mainPageFor(user.access_level) };
}
