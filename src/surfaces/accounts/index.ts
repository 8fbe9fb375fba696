import type { Surface } from '../../core/surface.js';
import { googleSettings } from './google.js';
import { accountRoutes } from './routes.js';
import { accountsMigrations } from './tables.js';
import { readAccountsConfig } from './config.js';

/**
 * Web accounts, shared by the monitor, live and console front ends: sign-up with
 * access-level requests and admin approval, JWT login, refresh and logout, Google (OpenID
 * Connect) login, and the admin user list.
 */
export const accountsSurface: Surface = {
  name: 'accounts',
  config: readAccountsConfig,
  migrations: accountsMigrations,
  routes: (http, app) => accountRoutes(http, app),
  consoleConfig: (app) => ({ google: googleSettings(app) !== null }),
};
