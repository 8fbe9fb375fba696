import type { App } from '../../core/app.js';
import type { User } from '../../core/db/schema.js';
import { AppError } from '../../core/errors.js';
import { announceViewers } from './events.js';
import { addFrontPeople, findLiveStream, liveStreamsWithNames, raisePeak, type LiveStream } from './repo.js';
import { requireLive, requireManagedStreamer, requireStreamer, requireStreamerLive } from './streamers.js';

/** Viewers now and the stream's highest count, as `current_people` answers. */
export interface PeopleCount {
  s_name: string;
  i_people: number;
  peak: number;
}

/** The presence group of one stream: a new stream starts with no watchers. */
const watchGroup = (streamId: number) => `live:watch:${streamId}`;

/**
 * Peaks reached by heartbeats and not yet written, per App and stream id. Writing each
 * rise at once would cost one durable write per new watcher while a stream fills up;
 * instead the sweep (every third of LIVE_WATCH_TTL_S) and the end of the stream write
 * the highest one. A crash can lose a peak of the last seconds, like presence itself.
 */
const pendingPeaks = new WeakMap<App, Map<number, number>>();

function notePeak(app: App, streamId: number, people: number): void {
  let peaks = pendingPeaks.get(app);
  if (!peaks) pendingPeaks.set(app, (peaks = new Map()));
  if ((peaks.get(streamId) ?? -1) < people) peaks.set(streamId, people);
}

/** The highest unwritten heartbeat peak of a stream on this node (0 when none). */
export const pendingPeak = (app: App, streamId: number) => pendingPeaks.get(app)?.get(streamId) ?? 0;

/** Drops an ended stream's unwritten peak (its end wrote the final one). */
export const forgetPendingPeak = (app: App, streamId: number) => void pendingPeaks.get(app)?.delete(streamId);

/** Fresh `watch` heartbeats (shared presence, so every node counts the same viewers). */
export function freshWatchers(app: App, streamId: number): Promise<number> {
  return app.state.presence.countSeen(watchGroup(streamId));
}

/**
 * Counts a WebRTC viewer (a WHEP session, `id`) among the stream's watchers for the next
 * LIVE_WATCH_TTL_S, as a heartbeat does; its node repeats this while the session plays.
 */
export function markPlayingSession(app: App, streamId: number, id: string): Promise<void> {
  return app.state.presence.markSeen(watchGroup(streamId), `rtc:${id}`, app.config.live.watchTtlS * 1000);
}

/** Stops counting a WebRTC viewer that left. */
export function forgetPlayingSession(app: App, streamId: number, id: string): Promise<void> {
  return app.state.presence.forget(watchGroup(streamId), `rtc:${id}`);
}

/** `i_people` of a live stream: the front-end counter plus fresh watchers. */
export async function peopleNow(app: App, stream: LiveStream): Promise<number> {
  return stream.front_people + (await freshWatchers(app, stream.id));
}

/**
 * `PUT /user/current_people`: the seed's front-end counting. Owner or admin only; the
 * counter never goes below 0 and the peak rises in the same statement.
 */
export async function changeFrontPeople(app: App, actor: User, name: string, delta: 1 | -1): Promise<PeopleCount> {
  const streamer = await requireManagedStreamer(app, actor, name);
  const stream = await requireLive(app, streamer);
  const seen = await freshWatchers(app, stream.id);
  const row = await addFrontPeople(app.db, stream.id, delta, seen);
  if (!row) throw new AppError('bad_request', 'Not live');
  const people = row.front_people + seen;
  await announceViewers(app, stream.id, streamer.username, people);
  return { s_name: streamer.username, i_people: people, peak: Math.max(row.peak, pendingPeak(app, stream.id)) };
}

/**
 * `POST /user/watch`: a logged-in viewer's heartbeat. The viewer counts for the
 * configured TTL (LIVE_WATCH_TTL_S, 30 s) after each one; the peak is written only when
 * it rises, in batches (see `pendingPeaks`), so a heartbeat costs reads and no durable write.
 */
export async function watchStream(app: App, viewer: User, name: string): Promise<{ s_name: string; i_people: number }> {
  const { stream, streamerName } = await requireStreamerLive(app, name);
  await app.state.presence.markSeen(watchGroup(stream.id), String(viewer.id), app.config.live.watchTtlS * 1000);
  return { s_name: streamerName, i_people: await recountViewers(app, stream, streamerName) };
}

/** Counts the stream's viewers now, notes a new peak and announces a changed count; returns the count. */
export async function recountViewers(app: App, stream: LiveStream, streamerName: string): Promise<number> {
  const people = await peopleNow(app, stream);
  if (people > stream.peak) notePeak(app, stream.id, people);
  await announceViewers(app, stream.id, streamerName, people);
  return people;
}

/** `GET /user/current_people`: open to anyone; a streamer who is not live has 0 and 0. */
export async function currentPeople(app: App, name: string): Promise<PeopleCount> {
  const streamer = await requireStreamer(app, name);
  const stream = await findLiveStream(app.db, streamer.id);
  if (!stream) return { s_name: streamer.username, i_people: 0, peak: 0 };
  const people = await peopleNow(app, stream);
  return { s_name: streamer.username, i_people: people, peak: Math.max(stream.peak, pendingPeak(app, stream.id), people) };
}

/**
 * Recounts every live stream, writes heartbeat peaks, and announces the counts that changed
 * since this node last said: watchers whose heartbeats stopped drop out without any request arriving.
 */
export async function sweepViewers(app: App): Promise<void> {
  const peaks = pendingPeaks.get(app);
  for (const stream of await liveStreamsWithNames(app.db)) {
    const people = await peopleNow(app, stream);
    const peak = Math.max(people, peaks?.get(stream.id) ?? 0);
    peaks?.delete(stream.id);
    if (peak > stream.peak) await raisePeak(app.db, stream.id, peak);
    await announceViewers(app, stream.id, stream.username, people);
  }
}
