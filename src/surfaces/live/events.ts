import type { App } from '../../core/app.js';

/** Topics are `live:<s_name>`; names are usernames, so any non-blank text up to 150 characters. */
export const LIVE_TOPIC = /^live:\S.{0,149}$/s;

/** The hub topic of one streamer. */
export const liveTopic = (streamerName: string) => `live:${streamerName}`;

/** A realtime event on a stream's topic (the hub adds `topic`). */
export type LiveEvent =
  | { type: 'viewers'; i_people: number }
  | { type: 'gift'; from: string; amount: number }
  | { type: 'follow'; from: string }
  | { type: 'alert'; message: string };

/** Sends an event to every subscriber of the stream's topic, on every node. */
export function publishLiveEvent(app: App, streamerName: string, event: LiveEvent): Promise<void> {
  return app.hub.publish(liveTopic(streamerName), event);
}

/**
 * The `i_people` this node last announced per stream id, so a viewers event goes out
 * only on a change. Per node and per App (keyed weakly, no global state): with several
 * nodes a change may be announced by more than one of them, never missed by all.
 */
const announced = new WeakMap<App, Map<number, number>>();

/** Announces `people` for the stream unless this node already announced that number. */
export async function announceViewers(app: App, streamId: number, streamerName: string, people: number): Promise<void> {
  let last = announced.get(app);
  if (!last) announced.set(app, (last = new Map()));
  if (last.get(streamId) === people) return;
  last.set(streamId, people);
  await publishLiveEvent(app, streamerName, { type: 'viewers', i_people: people });
}

/** Forgets an ended stream's last announcement. */
export function forgetAnnounced(app: App, streamId: number): void {
  announced.get(app)?.delete(streamId);
}
