import { randomHex } from '../lib/crypto.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import { createJwtKit, loadJwtSecret, type JwtKit } from './auth/jwt.js';
import type { Config } from './config.js';
import { openDatabase, type SqliteNative } from './db/database.js';
import type { SqliteWriter } from './db/sqlite-writer.js';
import type { Database, DialectName } from './db/schema.js';
import { createLogger } from './log.js';
import { createBullJobQueue } from './jobs/bullmq-queue.js';
import { createMemoryJobQueue } from './jobs/memory-queue.js';
import type { JobQueue } from './jobs/types.js';
import { registerMailJob } from './mail/mail-jobs.js';
import { createMailer } from './mail/mailer.js';
import type { Mailer } from './mail/types.js';
import { Hub } from './realtime/hub.js';
import { createMemoryState } from './state/memory-state.js';
import { createRedisState } from './state/redis-state.js';
import type { SharedState } from './state/types.js';
import { PasswordHasher } from './users/passwords.js';

/**
 * Everything a handler may touch, built once and passed as a plain argument: no
 * globals, no container. Anything with a side effect sits behind one of these fields.
 */
export interface App {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /**
   * The main-thread better-sqlite3 connection `db` reads through on SQLite (undefined on
   * PostgreSQL), for hot reads with their own cached statements. Read only (OpenDatabase.sqlite).
   */
  readonly sqliteNative?: SqliteNative;
  /** The thread every SQLite write goes through (undefined on PostgreSQL), for surfaces' bulk operations. */
  readonly sqliteWriter?: SqliteWriter;
  readonly state: SharedState;
  readonly hub: Hub;
  readonly passwords: PasswordHasher;
  readonly jwt: JwtKit;
  /** Background jobs: surfaces `register` handlers in their `start`; the server starts the queue after every surface. */
  readonly jobs: JobQueue;
  /** Sends mail now; surfaces use `queueMail(app, message)` instead, which retries. */
  readonly mailer: Mailer;
  /** This process's id among the nodes sharing one Redis. */
  readonly nodeId: string;
  /**
   * Joins the other nodes sharing a PostgreSQL database, so hot reads are served from memory
   * (OpenDatabase.joinPeers); nothing to do on SQLite or a single node. After migrations.
   */
  joinDatabasePeers(): Promise<void>;
  /** Checks each dependency; `redis` is null when none is configured. */
  readiness(): Promise<{ database: boolean; redis: boolean | null }>;
  close(): Promise<void>;
}

/** A readiness probe slower than this counts as a failure, so `/readyz` answers fast during an outage. */
const READINESS_TIMEOUT_MS = 1000;

/** True when `probe` resolves within `ms`; a rejection or a timeout is false. */
function probeWithin(probe: () => Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const outcome = probe().then(() => true, () => false);
  return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer));
}

/** Replaceable parts, for tests. */
export interface AppOverrides {
  clock?: Clock;
  log?: Logger;
  /** e.g. a mailer that records messages. */
  mailer?: Mailer;
}

/** Opens the database and shared state and wires the engine together. Migrations run in the server start-up. */
export async function createApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.logLevel);
  const nodeId = config.nodeId ?? `node-${randomHex(4)}`;
  const database = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    onWriterDeath: (err) => log.error({ err }, 'sqlite writer thread stopped; the next write starts another'),
    soleWriter: config.databaseSingleNode ? { clock } : undefined,
    sharedWriter: { clock, nodeId, warn: (message, fields) => log.warn(fields ?? {}, message) },
  });
  const state = config.redisUrl
    ? createRedisState({ url: config.redisUrl, prefix: config.redisPrefix, log })
    : createMemoryState(clock);
  const hub = new Hub({
    nodeId,
    clock,
    log,
    pubsub: state.pubsub,
    idleTimeoutMs: config.realtime.idleTimeoutS * 1000,
    sweepIntervalMs: config.realtime.sweepIntervalS * 1000,
  });
  const jwt = createJwtKit(loadJwtSecret(config.jwtSecret, config.dataDir), clock, database.db);
  const jobs = config.redisUrl
    ? createBullJobQueue({ url: config.redisUrl, prefix: `${config.redisPrefix}jobs`, log })
    : createMemoryJobQueue({ log });
  const mailer = overrides.mailer ?? createMailer(config, log);
  registerMailJob(jobs, mailer);
  const check = (probe: () => Promise<void>) => probeWithin(probe, READINESS_TIMEOUT_MS);
  return {
    config,
    log,
    clock,
    db: database.db,
    dialect: database.dialect,
    sqliteNative: database.sqlite,
    sqliteWriter: database.sqliteWriter,
    state,
    hub,
    passwords: new PasswordHasher(config.argon2),
    jwt,
    jobs,
    mailer,
    nodeId,
    joinDatabasePeers: async () => {
      await database.joinPeers?.();
    },
    readiness: async () => {
      const [databaseUp, redisUp] = await Promise.all([
        check(database.ping),
        state.kind === 'redis' ? check(() => state.ping()) : Promise.resolve(null),
      ]);
      return { database: databaseUp, redis: redisUp };
    },
    close: async () => {
      // Jobs first: running ones may still need the database and shared state.
      await jobs.close();
      await mailer.close();
      await state.close();
      await database.close();
    },
  };
}
