import type { Surface } from '../../core/surface.js';
import { registerSmsJob } from '../../core/sms/sms-jobs.js';
import { activationLinksConfigured } from './activation-links.js';
import { readVerifyConfig } from './config.js';
import { dadashopRoutes } from './dadashop-routes.js';
import { ihomeRoutes } from './ihome-routes.js';
import { weiboConfigured } from './weibo-service.js';

/**
 * Image captchas, SMS codes, e-mail activation and Weibo login for two front ends on the
 * shared user store: iHome (`/api/v1.0/...`, `{errcode, errmsg}`, session cookie) and
 * dadashop (`/v1/users/...`, `{code, ...}`, JWT). Its state lives in shared state and
 * the core tables, so it has no tables of its own.
 */
export const verifySurface: Surface = {
  name: 'verify',
  config: readVerifyConfig,
  migrations: [],
  consoleConfig: (app) => ({ weibo: weiboConfigured(app) }),
  async routes(http, app) {
    await http.register(async (scope) => ihomeRoutes(scope, app));
    await http.register(async (scope) => dadashopRoutes(scope, app));
  },
  async start(app) {
    // Before the server starts the job queue: texts queued by either front end need it.
    registerSmsJob(app);
    if (!activationLinksConfigured(app)) {
      app.log.warn('dadashop sign-up is refused until PUBLIC_URL (or ACTIVATION_BASE_URL) says where activation links point');
    }
  },
};
