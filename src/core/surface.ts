import type { FastifyInstance } from 'fastify';
import type { App } from './app.js';
import type { ConfigSectionReader } from './config.js';
import type { StoaMigration } from './db/migrator.js';
import type { SocketIoRelay } from './realtime/socketio-endpoint.js';

/** What a running surface hands back: lines to print at start-up and how to stop it. */
export interface SurfaceRuntime {
  /** e.g. `tcp chat listening on 127.0.0.1:8889` */
  announce?: string[];
  stop(): Promise<void>;
}

/**
 * One client family (accounts, chat, monitor, live, verify, study). The server lists them
 * in one block; each brings its tables, its HTTP routes (an encapsulated Fastify plugin with
 * its own error shape), what it mounts on the shared realtime endpoints (hub handlers and
 * topics, registered in `start`; Socket.IO relays, declared here) and whatever runs beside
 * them (its own listeners, such as chat's TCP port, and timers).
 */
export interface Surface {
  name: string;
  /** Reads this surface's settings section, validated with every other by the one loader. */
  config?: ConfigSectionReader;
  migrations: readonly StoaMigration[];
  routes?(http: FastifyInstance, app: App): Promise<void>;
  /** What the console may know of this surface's settings (no secrets), e.g. `{ google: true }` when Google sign-in is set up. */
  consoleConfig?(app: App): Record<string, unknown>;
  /** Hub topics every Socket.IO client receives as named events (monitor's `alert`). */
  socketIoRelays?: readonly SocketIoRelay[];
  start?(app: App): Promise<SurfaceRuntime | void>;
}
