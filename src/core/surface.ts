import type { FastifyInstance } from 'fastify';
import type { App } from './app.js';
import type { StoaMigration } from './db/migrator.js';

/** What a running surface hands back: lines to print at start-up and how to stop it. */
export interface SurfaceRuntime {
  /** e.g. `tcp chat listening on 127.0.0.1:8889` */
  announce?: string[];
  stop(): Promise<void>;
}

/**
 * One client family (chat, monitor, live, verify, study). The server lists them in one
 * block; each brings its tables, its HTTP routes (an encapsulated Fastify plugin with its
 * own error shape) and whatever runs beside them (listeners, timers, hub handlers).
 */
export interface Surface {
  name: string;
  migrations: readonly StoaMigration[];
  routes?(http: FastifyInstance, app: App): Promise<void>;
  start?(app: App): Promise<SurfaceRuntime | void>;
}
