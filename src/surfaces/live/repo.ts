import { PreparedQuery } from '../../core/db/prepared-query.js';
import { sql } from 'kysely';
import type { Executor } from '../../core/db/schema.js';
import type { LiveTables } from './tables.js';

/** A stream session as stored. */
export interface LiveStream {
  id: number;
  user_id: number;
  started_at: number;
  ended_at: number | null;
  front_people: number;
  peak: number;
  donated: number;
  new_followers: number;
  alerted_at: number | null;
}

const COLUMNS = ['id', 'user_id', 'started_at', 'ended_at', 'front_people', 'peak', 'donated', 'new_followers', 'alerted_at'] as const;
const live = (db: Executor) => db.withTables<LiveTables>();
/** `CASE WHEN a < b THEN b ELSE a END`: max() is spelled differently in SQLite and PostgreSQL. */
const larger = (a: ReturnType<typeof sql>, b: ReturnType<typeof sql>) => sql<number>`case when ${a} < ${b} then ${b} else ${a} end`;

/** Starts a stream; a second live one for the same streamer is a unique violation. */
export function insertLiveStream(db: Executor, userId: number, startedAt: number, frontPeople: number): Promise<LiveStream> {
  return live(db)
    .insertInto('live_streams')
    .values({ user_id: userId, started_at: startedAt, ended_at: null, front_people: frontPeople, peak: frontPeople, alerted_at: null })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** The streamer's live stream, if any. */
export async function findLiveStream(db: Executor, userId: number): Promise<LiveStream | undefined> {
  return (await liveStreamOf.run(db, userId))[0];
}

/** Every viewer heartbeat reads it: built and compiled once, served again while nothing has committed. */
const liveStreamOf = new PreparedQuery<LiveStream, [userId: number]>(
  1,
  (db, userId) => live(db as Executor).selectFrom('live_streams').select(COLUMNS).where('user_id', '=', userId as number).where('ended_at', 'is', null),
  { reuseWhileUnchanged: true },
);

/** A streamer's name and id with their live stream's columns, all null when they are not live. */
type StreamerRow = { streamer_id: number; streamer_name: string } & { [K in keyof LiveStream]: LiveStream[K] | null };

/** A heartbeat's one read: the streamer by name, joined with their live stream if any. */
const streamerWithLiveStream = new PreparedQuery<StreamerRow, [name: string]>(
  1,
  (db, name) =>
    live(db as Executor)
      .selectFrom('users')
      .leftJoin('live_streams', (join) => join.onRef('live_streams.user_id', '=', 'users.id').on('live_streams.ended_at', 'is', null))
      .where('users.username', '=', name as string)
      .select(['users.id as streamer_id', 'users.username as streamer_name', ...COLUMNS.map((c) => `live_streams.${c}` as const)]),
  { reuseWhileUnchanged: true },
);

/** The streamer called `name` and their live stream (undefined when not live), or undefined when there is no such user. */
export async function findStreamerLive(db: Executor, name: string): Promise<{ streamerId: number; streamerName: string; stream: LiveStream | undefined } | undefined> {
  const [row] = await streamerWithLiveStream.run(db, name);
  if (!row) return undefined;
  const { streamer_id: streamerId, streamer_name: streamerName, ...stream } = row;
  return { streamerId, streamerName, stream: stream.id === null ? undefined : (stream as LiveStream) };
}

/**
 * Adds `delta` to the front-end counter (clamped at 0) and raises the peak to the new
 * counter plus `seen` fresh watchers, in one statement; undefined when the stream ended.
 */
export function addFrontPeople(db: Executor, streamId: number, delta: number, seen: number): Promise<{ front_people: number; peak: number } | undefined> {
  const front = sql`case when front_people + ${delta} < 0 then 0 else front_people + ${delta} end`;
  return live(db)
    .updateTable('live_streams')
    .set({ front_people: front as never, peak: larger(sql`peak`, sql`${front} + ${seen}`) as never })
    .where('id', '=', streamId)
    .where('ended_at', 'is', null)
    .returning(['front_people', 'peak'])
    .executeTakeFirst();
}

/** Raises the peak to `people` if it is higher; atomic, so racing heartbeats never lower it. */
export async function raisePeak(db: Executor, streamId: number, people: number): Promise<void> {
  await live(db).updateTable('live_streams').set({ peak: people }).where('id', '=', streamId).where('peak', '<', people).execute();
}

/** Ends a stream still live, raising its peak to `people` last; undefined when it had already ended. */
export function closeLiveStream(db: Executor, streamId: number, endedAt: number, people: number): Promise<LiveStream | undefined> {
  return live(db)
    .updateTable('live_streams')
    .set({ ended_at: endedAt, peak: larger(sql`peak`, sql`${people}`) as never })
    .where('id', '=', streamId)
    .where('ended_at', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst();
}

/** Live streams started at or before `startedBy` whose alert has not gone out, with the streamer's name. */
export function streamsDueForAlert(db: Executor, startedBy: number): Promise<Array<{ id: number; username: string }>> {
  return live(db)
    .selectFrom('live_streams')
    .innerJoin('users', 'users.id', 'live_streams.user_id')
    .select(['live_streams.id', 'users.username'])
    .where('live_streams.ended_at', 'is', null)
    .where('live_streams.alerted_at', 'is', null)
    .where('live_streams.started_at', '<=', startedBy)
    .execute();
}

/** Claims a stream's alert; true for exactly one caller, whichever node it runs on. */
export async function markAlerted(db: Executor, streamId: number, at: number): Promise<boolean> {
  const result = await live(db)
    .updateTable('live_streams')
    .set({ alerted_at: at })
    .where('id', '=', streamId)
    .where('alerted_at', 'is', null)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Every live stream with its streamer's name (the viewer sweep). */
export function liveStreamsWithNames(db: Executor): Promise<Array<LiveStream & { username: string }>> {
  return live(db)
    .selectFrom('live_streams')
    .innerJoin('users', 'users.id', 'live_streams.user_id')
    .select(COLUMNS.map((c) => `live_streams.${c}` as const))
    .select('users.username')
    .where('live_streams.ended_at', 'is', null)
    .execute();
}

/** A streamer's totals after a change. */
export interface ChannelTotals {
  followers: number;
  donated: number;
}

/**
 * Applies a gift and/or a follow in one transaction: the follow row is inserted at most
 * once per (streamer, viewer) (a repeat does nothing), and the channel and live-stream
 * counters grow by `x = x + ?` updates, never read-modify-write, so concurrent gifts add up.
 */
export async function recordSupport(
  db: Executor,
  input: { streamerId: number; viewerId: number; amount: number; follow: boolean; at: number },
): Promise<ChannelTotals & { followed: boolean }> {
  return db.transaction().execute(async (trx) => {
    let followed = false;
    if (input.follow) {
      const inserted = await live(trx)
        .insertInto('live_follows')
        .values({ streamer_id: input.streamerId, viewer_id: input.viewerId, created_at: input.at })
        .onConflict((oc) => oc.columns(['streamer_id', 'viewer_id']).doNothing())
        .executeTakeFirst();
      followed = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const newFollowers = followed ? 1 : 0;
    const totals = await live(trx)
      .insertInto('live_channels')
      .values({ user_id: input.streamerId, followers: newFollowers, donated: input.amount })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          followers: sql`live_channels.followers + ${newFollowers}`,
          donated: sql`live_channels.donated + ${input.amount}`,
        } as never),
      )
      .returning(['followers', 'donated'])
      .executeTakeFirstOrThrow();
    if (input.amount > 0 || followed) {
      await live(trx)
        .updateTable('live_streams')
        .set({ donated: sql`donated + ${input.amount}` as never, new_followers: sql`new_followers + ${newFollowers}` as never })
        .where('user_id', '=', input.streamerId)
        .where('ended_at', 'is', null)
        .execute();
    }
    return { followers: Number(totals.followers), donated: Number(totals.donated), followed };
  });
}

/** Followers and money so far (zero for a streamer nobody supported yet). */
export async function channelTotals(db: Executor, userId: number): Promise<ChannelTotals> {
  const row = await live(db).selectFrom('live_channels').select(['followers', 'donated']).where('user_id', '=', userId).executeTakeFirst();
  return { followers: Number(row?.followers ?? 0), donated: Number(row?.donated ?? 0) };
}

/** Number of streams and the summed duration (ms) of the ended ones. */
export async function streamHistory(db: Executor, userId: number): Promise<{ streams: number; endedMs: number }> {
  const row = await live(db)
    .selectFrom('live_streams')
    .select([
      (eb) => eb.fn.countAll<number>().as('streams'),
      sql<number>`coalesce(sum(case when ended_at is null then 0 else ended_at - started_at end), 0)`.as('ended_ms'),
    ])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return { streams: Number(row.streams), endedMs: Number(row.ended_ms) };
}

/**
 * Usernames containing `needle` (case-insensitive; `%`, `_` and `\` match themselves),
 * live ones first, then by name, at most `limit`.
 */
export async function searchStreamers(db: Executor, needle: string, limit: number): Promise<Array<{ username: string; live: boolean }>> {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await live(db)
    .selectFrom('users')
    .leftJoin('live_streams', (join) => join.onRef('live_streams.user_id', '=', 'users.id').on('live_streams.ended_at', 'is', null))
    .select(['users.username', sql<number>`case when live_streams.id is null then 0 else 1 end`.as('live')])
    .where(sql<boolean>`lower(users.username) like ${pattern} escape '\\'`)
    .orderBy('live', 'desc')
    .orderBy('users.username')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ username: r.username, live: Number(r.live) === 1 }));
}

/**
 * Live streams, newest first, at most `limit`, with the streamer's name (the console's
 * "live now" list); only the stream of `username` when one is given.
 */
export function newestLiveStreams(db: Executor, limit: number, username: string | null = null): Promise<Array<LiveStream & { username: string }>> {
  let query = live(db)
    .selectFrom('live_streams')
    .innerJoin('users', 'users.id', 'live_streams.user_id')
    .select(COLUMNS.map((c) => `live_streams.${c}` as const))
    .select('users.username')
    .where('live_streams.ended_at', 'is', null);
  if (username !== null) query = query.where('users.username', '=', username);
  return query
    .orderBy('live_streams.started_at', 'desc')
    .orderBy('live_streams.id', 'desc')
    .limit(limit)
    .execute();
}
