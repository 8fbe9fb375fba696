import type { App } from '../../core/app.js';
import { readWebSession } from '../../core/auth/web-session.js';
import type { User } from '../../core/db/schema.js';
import { AppError } from '../../core/errors.js';
import { findUserByUsername } from '../../core/users/user-repo.js';
import { findLiveStream, findStreamerLive, type LiveStream } from './repo.js';
import { mayManage } from './rules.js';

/**
 * The user behind `Authorization: JWT <t>` (or `Bearer`), from `POST /user/login`.
 * Every mutating live call needs one; a missing, expired, revoked or foreign token is 401.
 */
export async function requireWebUser(app: App, authorization: string | undefined): Promise<User> {
  const session = await readWebSession(app, authorization);
  if (!session) throw new AppError('unauthorized', 'Unauthorized');
  return session.user;
}

const noSuchUser = () => new AppError('not_found', 'No such user');
const notLive = () => new AppError('bad_request', 'Not live');

/** The streamer called `name` (a username), or 404 `No such user`. */
export async function requireStreamer(app: App, name: string): Promise<User> {
  const user = await findUserByUsername(app.db, name);
  if (!user) throw noSuchUser();
  return user;
}

/** The streamer called `name` and their live stream in one read, or 404 `No such user`, or 400 `Not live`. */
export async function requireStreamerLive(app: App, name: string): Promise<{ streamerName: string; stream: LiveStream }> {
  const found = await findStreamerLive(app.db, name);
  if (!found) throw noSuchUser();
  if (!found.stream) throw notLive();
  return { streamerName: found.streamerName, stream: found.stream };
}

/**
 * The streamer `actor` may manage: their own stream, or any as an admin (level >= 9).
 * Ownership is checked before existence, so a non-admin learns nothing from the answer.
 */
export async function requireManagedStreamer(app: App, actor: User, name: string): Promise<User> {
  if (!mayManage(actor, name)) throw new AppError('forbidden', 'Forbidden');
  return requireStreamer(app, name);
}

/** The streamer's live stream, or 400 `Not live`. */
export async function requireLive(app: App, streamer: User): Promise<LiveStream> {
  const stream = await findLiveStream(app.db, streamer.id);
  if (!stream) throw notLive();
  return stream;
}
