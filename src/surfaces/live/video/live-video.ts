import type { RTCPeerConnection } from 'werift';
import type { App } from '../../../core/app.js';
import type { User } from '../../../core/db/schema.js';
import { AppError } from '../../../core/errors.js';
import { randomHex } from '../../../lib/crypto.js';
import { findLiveStream, type LiveStream } from '../repo.js';
import { endStream, goLive } from '../service.js';
import { requireManagedStreamer, requireStreamerLive } from '../streamers.js';
import { forgetPlayingSession, markPlayingSession, recountViewers } from '../viewers.js';
import { HlsOutputs } from './hls-outputs.js';
import { isGone, StreamRelay } from './stream-relay.js';

/**
 * A publisher on this node: its stream, its relay, since when (app clock) its connection
 * has been gone, and since when it has sent nothing (a peer that vanished without a word
 * keeps its connection "connected" until ICE gives up; its silence shows at once).
 */
interface Publishing {
  id: string;
  streamer: User;
  streamId: number;
  relay: StreamRelay;
  goneSince: number | null;
  silentSince: number | null;
  /** The relay's packet count at the last sweep (-1 before the first: silence counts from then). */
  packetsSeen: number;
}

/** A WebRTC viewer on this node. */
interface Playing {
  id: string;
  publishing: Publishing;
  pc: RTCPeerConnection;
  goneSince: number | null;
  markedAt: number | null;
}

/** How often this node looks at its sessions: gone peers, viewers to keep counted, streams ended elsewhere. */
const SWEEP_MS = 1000;

/**
 * Every WebRTC session this node holds, by streamer name and by session id. Publishing
 * (WHIP) makes the stream live exactly as `POST /user/live` does, or takes over a stream
 * already live; ending it (DELETE, the publisher gone or silent LIVE_PUBLISHER_GONE_S, or the stream
 * ended by `POST /user/end` anywhere) ends the stream once, with the usual summary and
 * events, and closes its viewers. Viewers (WHEP) count among the stream's watchers while
 * they play.
 */
export class LiveVideo {
  private readonly byName = new Map<string, Publishing>();
  private readonly publishers = new Map<string, Publishing>();
  private readonly players = new Map<string, Playing>();
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;
  /** HLS of every stream published here (when ffmpeg runs). */
  readonly hls: HlsOutputs;

  constructor(private readonly app: App) {
    this.hls = new HlsOutputs(app);
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** `POST /whip/<name>` by `actor` (the streamer, an admin, or the holder of the streamer's key): the SDP answer and the session id. */
  async publish(actor: User, name: string, offerSdp: string): Promise<{ id: string; answerSdp: string }> {
    const streamer = await requireManagedStreamer(this.app, actor, name);
    if (this.byName.has(streamer.username)) throw new AppError('conflict', 'Already publishing: end the other session first');
    const { relay, answerSdp } = await StreamRelay.publish(this.app.config.live.rtc, offerSdp);
    try {
      let stream = await findLiveStream(this.app.db, streamer.id);
      if (!stream) {
        await goLive(this.app, streamer, streamer.username, 0);
        stream = (await findLiveStream(this.app.db, streamer.id))!;
      }
      if (this.byName.has(streamer.username)) throw new AppError('conflict', 'Already publishing: end the other session first');
      const publishing: Publishing = { id: randomHex(16), streamer, streamId: stream.id, relay, goneSince: null, silentSince: null, packetsSeen: -1 };
      this.byName.set(streamer.username, publishing);
      this.publishers.set(publishing.id, publishing);
      this.watchConnection(relay.publisher, publishing);
      await this.hls.start(streamer.username, relay).catch((err: unknown) => this.app.log.warn({ err, stream: streamer.username }, 'live HLS: could not start'));
      return { id: publishing.id, answerSdp };
    } catch (err) {
      await relay.close();
      throw err;
    }
  }

  /** `DELETE /whip/<name>/<id>` by someone who may manage the stream: ends the session and the stream. */
  async unpublish(actor: User, name: string, id: string): Promise<void> {
    const publishing = this.publishers.get(id);
    if (!publishing || publishing.streamer.username !== name) throw new AppError('not_found', 'No such publishing session');
    await requireManagedStreamer(this.app, actor, name);
    await this.end(publishing, true);
  }

  /** `POST /whep/<name>`: the SDP answer and the session id of a new viewer. */
  async watch(name: string, offerSdp: string): Promise<{ id: string; answerSdp: string }> {
    const { streamerName } = await requireStreamerLive(this.app, name);
    const publishing = this.byName.get(streamerName);
    if (!publishing) throw new AppError('not_found', 'This stream has no video: nothing is being published');
    if (this.players.size >= this.app.config.live.rtc.maxViewers) throw new AppError('unavailable', 'This server holds as many WebRTC viewers as it may; try HLS');
    const id = randomHex(16);
    const { viewer, answerSdp } = await publishing.relay.watch(id, offerSdp);
    const playing: Playing = { id, publishing, pc: viewer, goneSince: null, markedAt: null };
    this.players.set(id, playing);
    viewer.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        playing.goneSince = null;
        void this.markPlaying(playing).catch((err: unknown) => this.app.log.warn({ err }, 'live video: counting a viewer failed'));
      } else if (isGone(state)) playing.goneSince ??= this.app.clock.now();
    });
    return { id, answerSdp };
  }

  /** `DELETE /whep/<name>/<id>`: the viewer leaves. */
  async stopWatching(name: string, id: string): Promise<void> {
    const playing = this.players.get(id);
    if (!playing || playing.publishing.streamer.username !== name) throw new AppError('not_found', 'No such viewing session');
    await this.leave(playing);
  }

  /** Whether `name` publishes to this node. */
  isPublishing(name: string): boolean {
    return this.byName.has(name);
  }

  /** Since when (app clock) the publisher of `name` has sent nothing, as of the last sweep; null while it sends. */
  publisherSilentSince(name: string): number | null {
    return this.byName.get(name)?.silentSince ?? null;
  }

  /** WebRTC viewers of `name` on this node (for tests and the console). */
  viewersOf(name: string): number {
    return this.byName.get(name)?.relay.viewerCount ?? 0;
  }

  /** Ends every session (the node is stopping): streams end as if each publisher had hung up. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const publishing of [...this.publishers.values()]) await this.end(publishing, true).catch(() => {});
    await this.hls.close();
  }

  private watchConnection(pc: RTCPeerConnection, publishing: Publishing): void {
    publishing.goneSince = this.app.clock.now(); // until it connects
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') publishing.goneSince = null;
      else if (isGone(state)) publishing.goneSince ??= this.app.clock.now();
    });
  }

  private async markPlaying(playing: Playing): Promise<void> {
    playing.markedAt = this.app.clock.now();
    await markPlayingSession(this.app, playing.publishing.streamId, playing.id);
    const stream = await findLiveStream(this.app.db, playing.publishing.streamer.id);
    if (stream) await recountViewers(this.app, stream, playing.publishing.streamer.username);
  }

  private async leave(playing: Playing): Promise<void> {
    if (!this.players.delete(playing.id)) return;
    await playing.publishing.relay.stopViewer(playing.id);
    await forgetPlayingSession(this.app, playing.publishing.streamId, playing.id).catch(() => {});
  }

  /** Closes a publishing session; `endTheStream` ends its stream too (unless it already ended elsewhere). */
  private async end(publishing: Publishing, endTheStream: boolean): Promise<void> {
    if (!this.publishers.delete(publishing.id)) return;
    this.byName.delete(publishing.streamer.username);
    try {
      if (endTheStream) await endStream(this.app, publishing.streamer, publishing.streamer.username);
    } catch (err) {
      if (!(err instanceof AppError && err.message === 'Not live')) throw err;
    } finally {
      for (const playing of [...this.players.values()]) if (playing.publishing === publishing) await this.leave(playing);
      await this.hls.stop(publishing.streamer.username);
      await publishing.relay.close();
    }
  }

  /** Ends publishers gone too long, drops viewers gone as long, keeps playing viewers counted, and follows streams ended elsewhere. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.app.clock.now();
      const goneMs = this.app.config.live.rtc.publisherGoneS * 1000;
      const refreshMs = (this.app.config.live.watchTtlS * 1000) / 3;
      for (const publishing of [...this.publishers.values()]) {
        const received = publishing.relay.packets;
        if (received === publishing.packetsSeen) publishing.silentSince ??= now;
        else publishing.silentSince = null;
        publishing.packetsSeen = received;
        const stream: LiveStream | undefined = await findLiveStream(this.app.db, publishing.streamer.id);
        const gone = [publishing.goneSince, publishing.silentSince].some((since) => since !== null && now - since >= goneMs);
        if (!stream || stream.id !== publishing.streamId) await this.end(publishing, false);
        else if (gone) await this.end(publishing, true);
      }
      for (const playing of [...this.players.values()]) {
        if (playing.goneSince !== null && now - playing.goneSince >= goneMs) await this.leave(playing);
        else if (playing.markedAt !== null && now - playing.markedAt >= refreshMs) await this.markPlaying(playing);
      }
      this.hls.sweep(now);
    } catch (err) {
      this.app.log.warn({ err }, 'live video sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
