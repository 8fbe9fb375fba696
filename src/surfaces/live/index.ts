import type { App } from '../../core/app.js';
import type { Surface } from '../../core/surface.js';
import { checkLongStreams } from './alerts.js';
import { LIVE_TOPIC } from './events.js';
import { liveRoutes } from './routes.js';
import { liveMigrations } from './tables.js';
import { sweepViewers } from './viewers.js';
import { readLiveConfig } from './config.js';
import { liveVideo, stopLiveVideo } from './video/routes.js';

export { checkLongStreams } from './alerts.js';
export { sweepViewers } from './viewers.js';

/**
 * Runs `task` every `everyMs` on an unref'd timer, one run at a time; a failing run is
 * logged and the next one tries again.
 */
function every(app: App, everyMs: number, name: string, task: () => Promise<unknown>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((err: unknown) => app.log.warn({ err }, `live ${name} failed`))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The streaming site: stream sessions, viewers (front-end deltas and watch heartbeats),
 * gifts and follows, totals, and events on the hub topic `live:<s_name>`, including the
 * long-stream alert the server sends by itself (checked every LIVE_ALERT_CHECK_INTERVAL_S;
 * dropped watchers are recounted every third of LIVE_WATCH_TTL_S).
 */
export const liveSurface: Surface = {
  name: 'live',
  config: readLiveConfig,
  migrations: liveMigrations,
  routes: (http, app) => liveRoutes(http, app),
  async start(app: App) {
    app.hub.allowTopics((topic) => LIVE_TOPIC.test(topic));
    const stopAlerts = every(app, app.config.live.alertCheckIntervalS * 1000, 'alert check', () => checkLongStreams(app));
    const sweepMs = Math.max(1000, Math.floor((app.config.live.watchTtlS * 1000) / 3));
    const stopSweep = every(app, sweepMs, 'viewer sweep', () => sweepViewers(app));
    const hlsOff = liveVideo(app).hls.unavailableReason;
    if (hlsOff) app.log.warn(`live: ${hlsOff}; WebRTC publishing and watching work without it`);
    return {
      stop: async () => {
        stopAlerts();
        stopSweep();
        await stopLiveVideo(app);
      },
    };
  },
};
