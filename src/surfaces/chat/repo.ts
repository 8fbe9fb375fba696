import { BatchedInsert } from '../../core/db/batched-insert.js';
import { PreparedQuery } from '../../core/db/prepared-query.js';
import type { Executor } from '../../core/db/schema.js';
import type { ChatTables } from './tables.js';

/** A history entry joined with its author's current name and avatar. */
export interface ChatHistoryRow {
  id: number;
  username: string;
  avatar: string | null;
  message: string;
  created_at: number;
}

interface NewChatMessage {
  user_id: number;
  message: string;
  created_at: number;
}

/** Messages posted at the same time share one INSERT and one commit. */
const messageInserts = new BatchedInsert<NewChatMessage>(async (db, rows) => {
  const inserted = await (db as Executor).withTables<ChatTables>().insertInto('chat_messages').values(rows).returning('id').execute();
  return inserted.map((row) => row.id);
});

/** Stores one message; returns its id once committed (with the messages posted beside it). */
export function insertChatMessage(db: Executor, userId: number, message: string, at: number): Promise<number> {
  return messageInserts.insert(db, { user_id: userId, message, created_at: at });
}

const newestMessages = new PreparedQuery<ChatHistoryRow, [limit: number]>(1, (db, limit) =>
  (db as Executor)
    .withTables<ChatTables>()
    .selectFrom('chat_messages')
    .innerJoin('users', 'users.id', 'chat_messages.user_id')
    .select(['chat_messages.id', 'users.username', 'users.avatar', 'chat_messages.message', 'chat_messages.created_at'])
    .orderBy('chat_messages.id', 'desc')
    .limit(limit as number),
);

/** The newest `limit` messages, oldest first. */
export async function latestChatMessages(db: Executor, limit: number): Promise<ChatHistoryRow[]> {
  return (await newestMessages.run(db, limit)).reverse();
}

const newestId = new PreparedQuery<{ id: number | null }, []>(0, (db) =>
  (db as Executor).withTables<ChatTables>().selectFrom('chat_messages').select((eb) => eb.fn.max('id').as('id')),
);

/** The id of the newest message (0 when none): a history already read is current while this has not moved. */
export async function newestChatMessageId(db: Executor): Promise<number> {
  const [row] = await newestId.run(db);
  return Number(row?.id ?? 0);
}
