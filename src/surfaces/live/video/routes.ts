import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../../core/app.js';
import type { User } from '../../../core/db/schema.js';
import { AppError } from '../../../core/errors.js';
import { requireName } from '../rules.js';
import { requireWebUser } from '../streamers.js';
import { LiveVideo } from './live-video.js';
import { streamKeyOwner } from './stream-keys.js';
import { OfferError } from './stream-relay.js';

/** An SDP offer is a few kilobytes; anything near this is not one. */
const SDP_LIMIT_BYTES = 64 * 1024;

const SDP = 'application/sdp';

const videos = new WeakMap<App, LiveVideo>();

/** The app's WebRTC sessions, made on first use. */
export function liveVideo(app: App): LiveVideo {
  let video = videos.get(app);
  if (!video) videos.set(app, (video = new LiveVideo(app)));
  return video;
}

/** Ends the app's WebRTC sessions, if it has any (the surface is stopping). */
export async function stopLiveVideo(app: App): Promise<void> {
  await videos.get(app)?.stop();
  videos.delete(app);
}

/**
 * The publisher behind `Authorization: Bearer <t>`: a stream key (what OBS sends) or the
 * web JWT of the streamer or an admin. Anything else is 401.
 */
async function requirePublisher(app: App, authorization: string | undefined): Promise<User> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (bearer?.startsWith('sk_')) {
    const owner = await streamKeyOwner(app, bearer);
    if (!owner) throw new AppError('unauthorized', 'Unauthorized');
    return owner;
  }
  return requireWebUser(app, authorization);
}

/** The offer in a request body, or 400 saying what a WHIP or WHEP client must send. */
function offerOf(req: FastifyRequest): string {
  if (typeof req.body !== 'string' || !req.body.startsWith('v=0')) throw new AppError('bad_request', 'The body must be an SDP offer (Content-Type: application/sdp)');
  return req.body;
}

/** Runs an offer through `answer`, turning an unusable offer into a 400. */
async function answerOffer<T>(answer: () => Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (err) {
    if (err instanceof OfferError) throw new AppError('bad_request', err.message);
    throw err;
  }
}

/** 201 with the SDP answer and the session's URL, as RFC 9725 (WHIP) and the WHEP draft say. */
function created(reply: FastifyReply, location: string, answerSdp: string): FastifyReply {
  return reply.code(201).header('content-type', SDP).header('location', location).send(answerSdp);
}

/**
 * WebRTC publishing and watching, inside the live surface (its `{"Error"}` answers):
 * - `POST /whip/<s_name>` (`Content-Type: application/sdp`, `Authorization: Bearer <stream
 *   key or web JWT>`) publishes; `DELETE /whip/<s_name>/<id>` (same authorization) ends it;
 * - `POST /whep/<s_name>` (no sign-in: streams are public) watches; `DELETE
 *   /whep/<s_name>/<id>` leaves (the session URL is the capability);
 * - `PATCH` on a session (trickle ICE) is 405: offers and answers carry every candidate;
 * - `GET /live/hls/<s_name>/index.m3u8` and its segments: HLS of a stream published here
 *   (503 when ffmpeg does not run here), cacheable by nginx or a CDN.
 */
export async function videoRoutes(http: FastifyInstance, app: App): Promise<void> {
  http.removeAllContentTypeParsers();
  http.addContentTypeParser([SDP, 'application/trickle-ice-sdpfrag'], { parseAs: 'string', bodyLimit: SDP_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  http.addContentTypeParser('*', { bodyLimit: SDP_LIMIT_BYTES }, (_req, _payload, done) =>
    done(new AppError('bad_request', 'The body must be an SDP offer (Content-Type: application/sdp)'), undefined),
  );
  const name = (req: FastifyRequest) => requireName((req.params as { name: string }).name);
  const session = (req: FastifyRequest) => (req.params as { id: string }).id;
  const notTrickle = (_req: FastifyRequest, reply: FastifyReply) =>
    reply.code(405).header('allow', 'DELETE').send({ Error: 'Trickle ICE is not supported: the offer must carry its candidates' });

  http.post('/whip/:name', async (req, reply) => {
    const publisher = await requirePublisher(app, req.headers.authorization);
    const streamName = name(req);
    const { id, answerSdp } = await answerOffer(() => liveVideo(app).publish(publisher, streamName, offerOf(req)));
    return created(reply, `/whip/${encodeURIComponent(streamName)}/${id}`, answerSdp);
  });
  http.delete('/whip/:name/:id', async (req, reply) => {
    const publisher = await requirePublisher(app, req.headers.authorization);
    await liveVideo(app).unpublish(publisher, name(req), session(req));
    return reply.code(200).send({ message: 'Stream ended' });
  });
  http.patch('/whip/:name/:id', notTrickle);

  http.post('/whep/:name', async (req, reply) => {
    const streamName = name(req);
    const { id, answerSdp } = await answerOffer(() => liveVideo(app).watch(streamName, offerOf(req)));
    return created(reply, `/whep/${encodeURIComponent(streamName)}/${id}`, answerSdp);
  });
  http.delete('/whep/:name/:id', async (req, reply) => {
    await liveVideo(app).stopWatching(name(req), session(req));
    return reply.code(200).send({ message: 'Left the stream' });
  });
  http.patch('/whep/:name/:id', notTrickle);

  http.get('/live/hls/:name/:file', async (req, reply) => {
    const hls = liveVideo(app).hls;
    if (!hls.available) throw new AppError('unavailable', hls.unavailableReason!);
    const file = hls.fileFor(name(req), (req.params as { file: string }).file);
    if (!file) throw new AppError('not_found', 'No such HLS file: the stream is not live here, or the segment is gone');
    const playlist = file.endsWith('.m3u8');
    // The playlist changes every segment; a segment never changes, so caches keep it.
    reply.header('cache-control', playlist ? 'no-cache' : 'public, max-age=86400, immutable');
    reply.header('content-type', playlist ? 'application/vnd.apple.mpegurl' : 'video/mp2t');
    return reply.send(createReadStream(file));
  });
}
