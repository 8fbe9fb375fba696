import type { Selectable } from 'kysely';
import type { Executor } from '../../core/db/schema.js';
import type { AccessRequestStatus, AccessRequestsTable, AccountsTables } from './tables.js';

/** An access request as stored, with the requester's name for admin lists. */
export type AccessRequest = Selectable<AccessRequestsTable> & { username: string };

/** Records a level request; `decided` marks one granted at once. Returns its id. */
export async function insertAccessRequest(
  db: Executor,
  request: { userId: number; level: number; at: number; decided: boolean },
): Promise<number> {
  const row = await db
    .withTables<AccountsTables>()
    .insertInto('access_requests')
    .values({
      user_id: request.userId,
      requested_level: request.level,
      status: request.decided ? 'approved' : 'pending',
      created_at: request.at,
      decided_at: request.decided ? request.at : null,
      decided_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function selectRequests(db: Executor) {
  return db
    .withTables<AccountsTables>()
    .selectFrom('access_requests')
    .innerJoin('users', 'users.id', 'access_requests.user_id')
    .selectAll('access_requests')
    .select('users.username');
}

/** One request by id. */
export function findAccessRequest(db: Executor, id: number): Promise<AccessRequest | undefined> {
  return selectRequests(db).where('access_requests.id', '=', id).executeTakeFirst();
}

/** Requests in id order, optionally of one status, at most `limit`. */
export function listAccessRequests(db: Executor, status: AccessRequestStatus | null, limit: number): Promise<AccessRequest[]> {
  let query = selectRequests(db);
  if (status) query = query.where('access_requests.status', '=', status);
  return query.orderBy('access_requests.id').limit(limit).execute();
}

/**
 * Moves a pending request to `status`; false when it was no longer pending, so two admins
 * deciding at once cannot both win.
 */
export async function decideAccessRequest(
  db: Executor,
  decision: { id: number; status: 'approved' | 'rejected'; by: number; at: number },
): Promise<boolean> {
  const result = await db
    .withTables<AccountsTables>()
    .updateTable('access_requests')
    .set({ status: decision.status, decided_by: decision.by, decided_at: decision.at })
    .where('id', '=', decision.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

