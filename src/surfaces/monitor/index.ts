import type { Surface, SurfaceRuntime } from '../../core/surface.js';
import { alertsPart } from './alerts/index.js';
import { ALERT_EVENT_TYPE, ALERTS_TOPIC } from './alerts/notify.js';
import { metricsPart } from './metrics/index.js';
import { readMonitorConfig } from './config.js';

const parts = [metricsPart, alertsPart];

/**
 * The 5G network-function monitor: metrics ingest, averages and charts; CPU alerts over
 * Socket.IO, the hub and e-mail. Its web sign-in is the accounts surface's.
 */
export const monitorSurface: Surface = {
  name: 'monitor',
  config: readMonitorConfig,
  migrations: parts.flatMap((p) => p.migrations),
  // monitor.md: every Socket.IO client gets `alert` events.
  socketIoRelays: [{ topic: ALERTS_TOPIC, event: ALERT_EVENT_TYPE }],
  async routes(http, app) {
    for (const part of parts) if (part.routes) await http.register(async (scope) => part.routes!(scope, app));
  },
  async start(app) {
    const runtimes: SurfaceRuntime[] = [];
    for (const part of parts) {
      const runtime = await part.start?.(app);
      if (runtime) runtimes.push(runtime);
    }
    return {
      announce: runtimes.flatMap((r) => r.announce ?? []),
      stop: async () => {
        for (const runtime of runtimes.reverse()) await runtime.stop();
      },
    };
  },
};
