import type { Surface } from '../../core/surface.js';
import { studyRoutes } from './routes.js';
import { studyMigrations } from './tables.js';
import { readStudyConfig } from './config.js';

/** The library study-session tracker: HTTP Basic auth, tokens, sessions, pagination, stats. */
export const studySurface: Surface = {
  name: 'study',
  config: readStudyConfig,
  migrations: studyMigrations,
  routes: (http, app) => studyRoutes(http, app),
};
