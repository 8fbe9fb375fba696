import type { MonitorPart } from '../part.js';
import { metricsRoutes } from './routes.js';
import { closeMetricsThreads, deleteExpiredSamples } from './service.js';
import { metricsMigrations } from './tables.js';

/** How often expired samples are deleted. */
export const RETENTION_SWEEP_INTERVAL_MS = 10 * 60_000;

/** The job name the retention sweep runs under: one schedule per cluster, not one timer per node. */
export const RETENTION_JOB = 'monitor.retention';

/**
 * NF metrics: ingest (single and batched, group-committed), latest sample, stats, series
 * and the NF list. The retention sweep is a scheduled job, so with several nodes on one
 * Redis it runs on one node per tick (whichever worker takes it; if that node dies, the
 * next tick goes to another), and the job queue waits for a running sweep on shutdown.
 */
export const metricsPart: MonitorPart = {
  migrations: metricsMigrations,
  routes: metricsRoutes,
  async start(app) {
    app.jobs.register(RETENTION_JOB, async () => {
      const deleted = await deleteExpiredSamples(app);
      if (deleted > 0) app.log.info({ node: app.nodeId, deleted }, 'metrics retention sweep ran');
    });
    await app.jobs.schedule(RETENTION_JOB, RETENTION_SWEEP_INTERVAL_MS);
    return {
      stop: async () => {
        await closeMetricsThreads(app);
      },
    };
  },
};
