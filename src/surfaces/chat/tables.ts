import type { Generated, Kysely } from 'kysely';
import { withIdColumn } from '../../core/db/core-migrations.js';
import type { StoaMigration } from '../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../core/db/schema.js';

/** Persisted chat room messages, for history. */
export interface ChatMessagesTable {
  id: Generated<number>;
  user_id: number;
  message: string;
  created_at: EpochMs;
}

/** The chat surface's own tables. */
export type ChatTables = {
  chat_messages: ChatMessagesTable;
};

/** Creates the chat history table. */
export const chatMigrations: StoaMigration[] = [
  {
    name: '0100_chat_messages',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('chat_messages'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];
