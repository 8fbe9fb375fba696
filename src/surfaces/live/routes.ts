import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { alertStatus } from './alerts.js';
import { accessRight, endStream, goLive, liveNow, searchLive, streamerInfo, streamTime, supportStreamer } from './service.js';
import { bodyFields, checkClientTime, followFlag, giftAmount, isoTime, optionalCount, peopleDelta, requireName, streamsLimit } from './rules.js';
import { requireManagedStreamer, requireStreamer, requireWebUser } from './streamers.js';
import { changeFrontPeople, currentPeople, watchStream } from './viewers.js';
import { videoRoutes } from './video/routes.js';
import { revokeStreamKey, rotateStreamKey, streamKeyCreatedAt } from './video/stream-keys.js';

const answer = (status: number, message: string): WireReply => ({ status, body: { Error: message } });
const ownMessage = (status: number) => (error: ClassifiedError) => answer(status, error.message);

/** Every error code as live.md's `{"Error": "<message>"}` (a framework 4xx other than 413 is a 400). */
const liveErrorReplies: ErrorReplies = {
  bad_request: ownMessage(400),
  unauthorized: () => answer(401, 'Unauthorized'),
  forbidden: () => answer(403, 'Forbidden'),
  not_found: ownMessage(404),
  conflict: ownMessage(409),
  already_logged_in: ownMessage(409),
  payload_too_large: ownMessage(413),
  rate_limited: ownMessage(429),
  unavailable: () => answer(503, 'Service unavailable, try again shortly'),
  internal: () => answer(500, 'Internal error'),
};

/**
 * The streaming site's calls under `/user/` (live.md). Mutating calls (live,
 * money_follow, PUT current_people, watch, PUT current_time, end, alert) and
 * access_right need the web JWT; live, end and both PUTs are owner-or-admin. Reads
 * (GET current_people, GET current_time, ueinfo), search and the beyond-the-seed
 * `GET /user/streams` (what is live now) are open. `/user/stream_key` (own key: make or
 * rotate, look, revoke) needs the JWT; WHIP and WHEP are in video/routes.ts. Login, logout
 * and sign-up belong to the monitor surface and are not registered here.
 */
export async function liveRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);
  installErrorFunnel(http, 'live', liveErrorReplies);

  const user = (req: FastifyRequest) => requireWebUser(app, req.headers.authorization);
  const body = (req: FastifyRequest) => bodyFields(req.body);
  const queryName = (req: FastifyRequest) => requireName((req.query as Record<string, unknown>).s_name);

  http.post('/user/search', async (req) => searchLive(app, requireName(body(req).s_name)));

  http.get('/user/streams', async (req) => {
    const query = req.query as Record<string, unknown>;
    const limit = streamsLimit(query.limit);
    return liveNow(app, limit, query.s_name === undefined ? null : requireName(query.s_name));
  });

  http.post('/user/live', async (req) => {
    const actor = await user(req);
    const fields = body(req);
    const name = requireName(fields.s_name);
    const people = optionalCount(fields.i_people, 'i_people');
    optionalCount(fields.i_follower, 'i_follower');
    optionalCount(fields.i_donate, 'i_donate');
    return goLive(app, actor, name, people);
  });

  http.put('/user/money_follow', async (req) => {
    const viewer = await user(req);
    const fields = body(req);
    const name = requireName(fields.s_name);
    return supportStreamer(app, viewer, name, giftAmount(fields.i_donate), followFlag(fields.follow));
  });

  http.put('/user/current_people', async (req) => {
    const actor = await user(req);
    const fields = body(req);
    const name = requireName(fields.s_name);
    return changeFrontPeople(app, actor, name, peopleDelta(fields.delta));
  });

  http.get('/user/current_people', async (req) => currentPeople(app, queryName(req)));

  http.post('/user/watch', async (req) => {
    const viewer = await user(req);
    return watchStream(app, viewer, requireName(body(req).s_name));
  });

  http.put('/user/current_time', async (req) => {
    const actor = await user(req);
    return streamTime(app, await requireManagedStreamer(app, actor, requireName(body(req).s_name)));
  });

  http.get('/user/current_time', async (req) => streamTime(app, await requireStreamer(app, queryName(req))));

  http.post('/user/end', async (req) => {
    const actor = await user(req);
    return endStream(app, actor, requireName(body(req).s_name));
  });

  http.get('/user/ueinfo', async (req) => streamerInfo(app, queryName(req)));

  http.post('/user/alert', async (req) => {
    const viewer = await user(req);
    const fields = body(req);
    const name = requireName(fields.s_name);
    checkClientTime(fields.current_time);
    return alertStatus(app, viewer, name);
  });

  http.get('/user/access_right', async (req) => accessRight(await user(req)));

  http.post('/user/stream_key', async (req) => {
    const streamer = await user(req);
    const { key, createdAt } = await rotateStreamKey(app, streamer);
    return { stream_key: key, created_at: isoTime(createdAt), ...whipAddress(app, streamer.username) };
  });
  http.get('/user/stream_key', async (req) => {
    const streamer = await user(req);
    const createdAt = await streamKeyCreatedAt(app, streamer);
    return { has_key: createdAt !== null, created_at: createdAt === null ? null : isoTime(createdAt), ...whipAddress(app, streamer.username) };
  });
  http.delete('/user/stream_key', async (req) => {
    await revokeStreamKey(app, await user(req));
    return { message: 'Stream key revoked' };
  });

  await http.register(async (scope) => videoRoutes(scope, app));
}

/** Where OBS publishes for `name`: the path, and the whole URL when PUBLIC_URL says where this server is. */
function whipAddress(app: App, name: string): { whip_path: string; whip_url: string | null } {
  const path = `/whip/${encodeURIComponent(name)}`;
  return { whip_path: path, whip_url: app.config.publicUrl ? new URL(path, app.config.publicUrl).toString() : null };
}
