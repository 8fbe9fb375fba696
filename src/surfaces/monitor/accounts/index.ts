import type { MonitorPart } from '../part.js';
import { accountRoutes } from './routes.js';
import { accountsMigrations } from './tables.js';

/**
 * Web accounts for the monitor (and live) front ends: sign-up with access-level requests
 * and admin approval, JWT login and logout, and Google (OpenID Connect) login.
 */
export const accountsPart: MonitorPart = {
  migrations: accountsMigrations,
  routes: (http, app) => accountRoutes(http, app),
};
