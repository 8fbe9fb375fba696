import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import { withIdColumn } from '../../core/db/core-migrations.js';
import type { StoaMigration } from '../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../core/db/schema.js';

/** A counter column: the database fills it in on insert, updates only add to it. */
type Counter = ColumnType<number, number | undefined, number>;

/**
 * One stream session, from `POST /user/live` to `POST /user/end`. Totals are sums over
 * these rows, so a restart loses nothing that was acknowledged: only the in-memory
 * viewer presence of the last seconds.
 */
export interface LiveStreamsTable {
  id: Generated<number>;
  /** The streamer (users.id); `s_name` on the wire is their username. */
  user_id: number;
  started_at: EpochMs;
  /** Null while the stream is live. */
  ended_at: EpochMs | null;
  /** The front-end counter (`PUT /user/current_people` deltas), never below 0. */
  front_people: Counter;
  /** Highest `i_people` seen during this stream. */
  peak: Counter;
  /** Money given during this stream. */
  donated: Counter;
  /** Follows gained during this stream. */
  new_followers: Counter;
  /** When the long-stream alert went out; set once, by a conditional update, so one node sends it. */
  alerted_at: EpochMs | null;
}

/** A streamer's running totals, changed only by atomic `x = x + ?` upserts. */
export interface LiveChannelsTable {
  user_id: number;
  followers: Counter;
  donated: Counter;
}

/** Who follows whom: the primary key makes a follow happen once per (streamer, viewer). */
export interface LiveFollowsTable {
  streamer_id: number;
  viewer_id: number;
  created_at: EpochMs;
}

/** A streamer's stream key for WHIP publishing (OBS): only its SHA-256 is kept, one per streamer. */
export interface LiveStreamKeysTable {
  user_id: number;
  key_hash: string;
  created_at: EpochMs;
}

/** The live surface's own tables, added to the core ones with `db.withTables<LiveTables>()`. */
export type LiveTables = {
  live_streams: LiveStreamsTable;
  live_channels: LiveChannelsTable;
  live_follows: LiveFollowsTable;
  live_stream_keys: LiveStreamKeysTable;
};

/**
 * Creates the stream, channel and follow tables. The partial unique index makes "one
 * live stream per streamer" hold even when two `POST /user/live` race.
 */
export const liveMigrations: StoaMigration[] = [
  {
    name: '0600_live_streams',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('live_streams'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('front_people', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('peak', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('donated', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('new_followers', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('alerted_at', 'bigint')
        .execute();
      await db.schema.createIndex('live_streams_user').on('live_streams').columns(['user_id', 'id']).execute();
      await db.schema
        .createIndex('live_streams_one_live')
        .on('live_streams')
        .column('user_id')
        .unique()
        .where(sql.ref('ended_at'), 'is', null)
        .execute();
      await db.schema
        .createTable('live_channels')
        .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('followers', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('donated', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('live_follows')
        .addColumn('streamer_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('viewer_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('live_follows_pk', ['streamer_id', 'viewer_id'])
        .execute();
    },
  },
  {
    name: '0910_live_stream_keys',
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('live_stream_keys')
        .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
