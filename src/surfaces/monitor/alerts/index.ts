import type { MonitorPart } from '../part.js';
import { evaluateAlerts } from './evaluator.js';
import { ALERTS_TOPIC } from './notify.js';
import { alertRoutes } from './routes.js';
import { alertMigrations } from './tables.js';

/** The job name the periodic evaluation runs under. */
export const EVALUATE_ALERTS_JOB = 'monitor.evaluate-alerts';

/**
 * CPU (and any other field's) alerts: rules as data, instances and history in the
 * database, notices on the hub topic `alerts`, Socket.IO `alert` and e-mail. The
 * evaluation is a scheduled job every ALERT_EVAL_INTERVAL_S, so with several nodes on one
 * Redis it runs on one node per tick (a BullMQ job scheduler: whichever live worker takes
 * the tick, so a dead node's share moves to the others by itself); the job queue waits
 * for a running one on shutdown.
 */
export const alertsPart: MonitorPart = {
  migrations: alertMigrations,
  routes: alertRoutes,
  async start(app) {
    app.hub.allowTopics((topic) => topic === ALERTS_TOPIC);
    app.jobs.register(EVALUATE_ALERTS_JOB, async () => {
      const notices = await evaluateAlerts(app);
      // Debug: a line every tick would drown the default log. Names the node that took this
      // tick, so LOG_LEVEL=debug (and the cluster test) shows where it runs.
      app.log.debug({ node: app.nodeId, notices: notices.length }, 'alert evaluation ran');
    });
    await app.jobs.schedule(EVALUATE_ALERTS_JOB, app.config.monitor.alertEvalIntervalS * 1000);
  },
};
