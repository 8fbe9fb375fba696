import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../../core/app.js';
import { ffmpegAvailable, HlsEncoder, type HlsInput } from './hls-encoder.js';
import type { StreamRelay } from './stream-relay.js';

/** The files a stream's HLS folder serves: the live playlist and its numbered segments. */
const HLS_FILE = /^(index\.m3u8|seg\d{5}\.ts)$/;

/** ffmpeg is started again after it stops on its own, at most this many times per stream. */
const MAX_RESTARTS = 3;

interface Output {
  encoder: HlsEncoder | null;
  relay: StreamRelay;
  restarts: number;
  /** When (app clock) the folder goes, once the stream has ended. */
  removeAt: number | null;
}

/** The SDP codec line for ffmpeg, from a negotiated codec. */
function rtpmapOf(codec: { mimeType: string; clockRate: number; channels?: number }): string {
  const name = codec.mimeType.split('/')[1]!;
  return `${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`;
}

/**
 * HLS for every stream published to this node, written by ffmpeg under `DATA_DIR/hls/`
 * (one folder per streamer) and served by `GET /live/hls/<s_name>/<file>`. Available when
 * LIVE_HLS is not `off` and the configured ffmpeg runs; otherwise the server runs without
 * it and says so. An ended stream's folder is removed LIVE_HLS_KEEP_S after its end, so
 * players and caches can finish the last segments.
 */
export class HlsOutputs {
  readonly available: boolean;
  private readonly root: string;
  private readonly outputs = new Map<string, Output>();

  constructor(private readonly app: App) {
    const ffmpeg = app.config.live.rtc.ffmpegPath;
    this.available = ffmpeg !== null && ffmpegAvailable(ffmpeg);
    this.root = path.join(app.config.dataDir, 'hls');
  }

  /** Why HLS is not offered, for the log and the 503 answer; null when it is. */
  get unavailableReason(): string | null {
    if (this.available) return null;
    return this.app.config.live.rtc.ffmpegPath === null ? 'HLS is off (LIVE_HLS=off)' : `HLS is unavailable: ffmpeg (${this.app.config.live.rtc.ffmpegPath}) does not run here`;
  }

  /** Starts writing HLS for `name` from `relay` (nothing when HLS is unavailable). */
  async start(name: string, relay: StreamRelay): Promise<void> {
    if (!this.available) return;
    const dir = this.folderOf(name);
    rmSync(dir, { recursive: true, force: true });
    const output: Output = { encoder: null, relay, restarts: 0, removeAt: null };
    this.outputs.set(name, output);
    await this.startEncoder(name, output);
  }

  /** Stops writing HLS for `name`; its folder goes LIVE_HLS_KEEP_S later. */
  async stop(name: string): Promise<void> {
    const output = this.outputs.get(name);
    if (!output || output.removeAt !== null) return;
    output.removeAt = this.app.clock.now() + this.app.config.live.rtc.hlsKeepS * 1000;
    output.relay.tap = null;
    await output.encoder?.stop();
    output.encoder = null;
  }

  /** Removes the folders of streams ended long enough ago. */
  sweep(now: number): void {
    for (const [name, output] of this.outputs) {
      if (output.removeAt === null || now < output.removeAt) continue;
      this.outputs.delete(name);
      rmSync(this.folderOf(name), { recursive: true, force: true });
    }
  }

  /** The file to serve for `GET /live/hls/<name>/<file>`, or null when there is none. */
  fileFor(name: string, file: string): string | null {
    if (!HLS_FILE.test(file) || !this.outputs.has(name)) return null;
    const full = path.join(this.folderOf(name), file);
    return existsSync(full) ? full : null;
  }

  /** Stops every encoder and removes every folder (the node is stopping). */
  async close(): Promise<void> {
    for (const [name, output] of this.outputs) {
      await output.encoder?.stop();
      rmSync(this.folderOf(name), { recursive: true, force: true });
    }
    this.outputs.clear();
  }

  /** A folder per streamer, named by the hex of the name so any username is a safe file name. */
  private folderOf(name: string): string {
    return path.join(this.root, Buffer.from(name).toString('hex'));
  }

  private async startEncoder(name: string, output: Output): Promise<void> {
    const video = output.relay.codecOf('video');
    const audio = output.relay.codecOf('audio');
    const input: HlsInput = {
      video: video ? { rtpmap: rtpmapOf(video), fmtp: video.parameters } : null,
      audio: audio ? { rtpmap: rtpmapOf(audio) } : null,
    };
    const encoder = await HlsEncoder.start(this.app.config.live.rtc.ffmpegPath!, this.folderOf(name), input, (code) => {
      if (this.outputs.get(name) !== output || output.removeAt !== null) return;
      this.app.log.warn({ stream: name, code }, 'live HLS: ffmpeg stopped');
      if (output.restarts++ < MAX_RESTARTS) void this.startEncoder(name, output).catch((err: unknown) => this.app.log.warn({ err }, 'live HLS: restart failed'));
    });
    output.encoder = encoder;
    output.relay.tap = (kind, rtp) => encoder.feed(kind, rtp);
    // Segments start at keyframes: ask now, and once more when ffmpeg has surely opened its input.
    output.relay.requestKeyframe(true);
    setTimeout(() => output.relay.requestKeyframe(true), 1000).unref();
  }
}
