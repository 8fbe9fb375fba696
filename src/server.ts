import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApp, type App, type AppOverrides } from './core/app.js';
import type { Config } from './core/config.js';
import { coreMigrations } from './core/db/core-migrations.js';
import { runMigrations } from './core/db/migrator.js';
import { registerConsole } from './core/http/console-assets.js';
import { buildHttpServer } from './core/http/http-server.js';
import { attachRealtimeEndpoints } from './core/realtime/endpoints.js';
import type { SurfaceRuntime } from './core/surface.js';
import { surfaces } from './surfaces/index.js';

/** A started Stoa node. */
export interface RunningServer {
  app: App;
  http: FastifyInstance;
  /** e.g. http://127.0.0.1:5000 */
  httpUrl: string;
  /** The lines printed at start-up, one per bound listener. */
  announcements: string[];
  /** Graceful stop: no new clients, sockets closed, in-flight requests finished, database closed. */
  close(): Promise<void>;
}

/** Every migration: core first, then each surface's. */
export const allMigrations = [...coreMigrations, ...surfaces.flatMap((s) => s.migrations)];

/** Applies pending migrations without starting anything (`stoa migrate`). */
export async function migrate(app: App): Promise<string[]> {
  return runMigrations(app.db, app.dialect, allMigrations);
}

/** Builds the app, migrates, mounts every surface and starts listening. */
export async function startServer(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<RunningServer> {
  const app = await createApp(config, overrides);
  const runtimes: SurfaceRuntime[] = [];
  let http: FastifyInstance | undefined;
  let closeRealtime: (() => Promise<void>) | undefined;
  const close = async () => {
    for (const runtime of runtimes.reverse()) await runtime.stop();
    await closeRealtime?.();
    await app.hub.stop();
    if (http) {
      // Keep-alive connections that go idle once their last response is sent would
      // otherwise hold the close open for the whole keep-alive timeout.
      const sweep = setInterval(() => http!.server.closeIdleConnections(), 50);
      await http.close().finally(() => clearInterval(sweep));
    }
    // After HTTP: in-flight requests may still queue jobs. Before the database: running jobs use it.
    await app.jobs.close();
    await app.close();
  };
  try {
    await migrate(app);
    await app.joinDatabasePeers();
    await app.hub.start();
    http = buildHttpServer(app);
    await mountRoutes(http, app);
    closeRealtime = attachRealtimeEndpoints(http.server, app, surfaces.flatMap((s) => s.socketIoRelays ?? []));
    await startSurfaces(app, runtimes);
    await http.listen({ host: config.host, port: config.port, backlog: 65535 });
    const address = http.server.address() as AddressInfo;
    const httpUrl = `http://${formatHost(address.address)}:${address.port}`;
    // The node id first: logs, /healthz and /readyz name the same node.
    const announcements = [`node ${app.nodeId}`, `http listening on ${httpUrl}`, ...runtimes.flatMap((r) => r.announce ?? [])];
    return { app, http, httpUrl, announcements, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/** Every surface's routes, each an encapsulated plugin with its own error shape, then the console. */
async function mountRoutes(http: FastifyInstance, app: App): Promise<void> {
  for (const surface of surfaces) {
    if (surface.routes) await http.register(async (scope) => surface.routes!(scope, app));
  }
  await registerConsole(http, app, () => Object.assign({}, ...surfaces.map((s) => s.consoleConfig?.(app) ?? {})));
}

/**
 * Each surface's start (hub handlers and topics, its own listeners, timers, job handlers),
 * collected into `runtimes`; the job queue starts last, once every handler is registered.
 */
async function startSurfaces(app: App, runtimes: SurfaceRuntime[]): Promise<void> {
  for (const surface of surfaces) {
    const runtime = await surface.start?.(app);
    if (runtime) runtimes.push(runtime);
  }
  await app.jobs.start();
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
