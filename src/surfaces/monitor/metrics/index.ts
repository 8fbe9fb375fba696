import type { MonitorPart } from '../part.js';
import { metricsRoutes } from './routes.js';
import { deleteExpiredSamples, sampleWriterFor } from './service.js';
import { metricsMigrations } from './tables.js';

/** How often expired samples are deleted. */
export const RETENTION_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * NF metrics: ingest (single and batched, group-committed), latest sample, stats, series
 * and the NF list; a retention sweep runs on an unref'd timer until it moves to the job queue.
 */
export const metricsPart: MonitorPart = {
  migrations: metricsMigrations,
  routes: metricsRoutes,
  async start(app) {
    let sweeping: Promise<unknown> | null = null;
    const sweep = () => {
      if (sweeping) return;
      sweeping = deleteExpiredSamples(app)
        .catch((err) => app.log.error({ err }, 'metrics retention sweep failed'))
        .finally(() => (sweeping = null));
    };
    const timer = setInterval(sweep, RETENTION_SWEEP_INTERVAL_MS);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await sweeping;
        await sampleWriterFor(app).drain();
      },
    };
  },
};
