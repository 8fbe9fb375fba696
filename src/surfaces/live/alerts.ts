import type { App } from '../../core/app.js';
import type { User } from '../../core/db/schema.js';
import { publishLiveEvent } from './events.js';
import { markAlerted, streamsDueForAlert } from './repo.js';
import { requireLive, requireStreamer } from './streamers.js';
import { durationWords, elapsedSeconds, longStreamMessage } from './rules.js';

/** What `POST /user/alert` answers. */
export interface AlertStatus {
  alert: boolean;
  elapsed_s: number;
  message: string;
}

/**
 * Sends `{"type":"alert","message":"Live for more than 6 hours"}` on `live:<s_name>`
 * for each stream live longer than LIVE_ALERT_AFTER_S, once per stream: the stream row's
 * `alerted_at` is claimed by a conditional update, so with several nodes running this
 * check only one sends it. Uses the injected clock; returns how many alerts went out.
 */
export async function checkLongStreams(app: App): Promise<number> {
  const now = app.clock.now();
  const thresholdS = app.config.live.alertAfterS;
  let sent = 0;
  // Strictly longer than the threshold, as POST /user/alert says `true`.
  for (const stream of await streamsDueForAlert(app.db, now - thresholdS * 1000 - 1)) {
    if (!(await markAlerted(app.db, stream.id, now))) continue;
    await publishLiveEvent(app, stream.username, { type: 'alert', message: longStreamMessage(thresholdS) });
    sent += 1;
  }
  return sent;
}

/**
 * `POST /user/alert`: whether the stream has been live longer than the threshold, by the
 * server's clock. The client's `current_time` is checked for type and otherwise ignored,
 * so a front end cannot make a stream look longer or shorter than it is.
 */
export async function alertStatus(app: App, _viewer: User, name: string): Promise<AlertStatus> {
  const stream = await requireLive(app, await requireStreamer(app, name));
  const thresholdS = app.config.live.alertAfterS;
  const elapsed = elapsedSeconds(stream.started_at, app.clock.now());
  const alert = elapsed > thresholdS;
  const message = alert ? longStreamMessage(thresholdS) : `Live for ${durationWords(thresholdS)} or less`;
  return { alert, elapsed_s: elapsed, message };
}
