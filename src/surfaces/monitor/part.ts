import type { FastifyInstance } from 'fastify';
import type { App } from '../../core/app.js';
import type { StoaMigration } from '../../core/db/migrator.js';
import type { SurfaceRuntime } from '../../core/surface.js';

/** One area of the monitor surface (metrics, alerts), composed in index.ts. */
export interface MonitorPart {
  migrations: readonly StoaMigration[];
  routes?(http: FastifyInstance, app: App): Promise<void>;
  start?(app: App): Promise<SurfaceRuntime | void>;
}
