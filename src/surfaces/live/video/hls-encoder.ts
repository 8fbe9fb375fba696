import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RtpPacket } from 'werift';

/** Whether `ffmpeg` runs here: the server starts without it and reports HLS as unavailable. */
export function ffmpegAvailable(ffmpeg: string): boolean {
  try {
    return spawnSync(ffmpeg, ['-version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/** What an encoder is fed: each kind's codec name as SDP writes it (`VP8/90000`, `H264/90000`, `opus/48000/2`). */
export interface HlsInput {
  video: { rtpmap: string; fmtp?: string } | null;
  audio: { rtpmap: string } | null;
}

/** Payload types in the SDP handed to ffmpeg; packets are rewritten to them. */
const VIDEO_PT = 96;
const AUDIO_PT = 111;

/** Seconds of media per segment, and segments the live playlist lists. */
const SEGMENT_S = 2;
const PLAYLIST_SEGMENTS = 6;

/** A free UDP port on loopback, found by binding to port 0 (ffmpeg binds it next). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * One stream's HLS output: ffmpeg reads the publisher's RTP (sent to it over loopback UDP,
 * described by an SDP file) and writes a live playlist (`index.m3u8`) and MPEG-TS segments
 * of 2 s into `dir`. H.264 video is copied; VP8 is encoded to H.264 (every HLS player
 * decodes that), Opus to AAC. A keyframe starts each segment, so the caller asks the
 * publisher for one when the encoder starts.
 */
export class HlsEncoder {
  private readonly socket: Socket = createSocket('udp4');
  private process: ChildProcess | null = null;
  private ports: { video: number; audio: number } = { video: 0, audio: 0 };
  private stopped = false;

  private constructor(
    readonly dir: string,
    private readonly input: HlsInput,
  ) {}

  /** Starts ffmpeg writing into `dir` (created, emptied of nothing: a fresh folder per stream). */
  static async start(ffmpeg: string, dir: string, input: HlsInput, onExit: (code: number | null) => void): Promise<HlsEncoder> {
    const encoder = new HlsEncoder(dir, input);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    encoder.ports = { video: input.video ? await freeUdpPort() : 0, audio: input.audio ? await freeUdpPort() : 0 };
    const sdpFile = path.join(dir, 'input.sdp');
    writeFileSync(sdpFile, encoder.sdp(), { mode: 0o600 });
    const copyVideo = input.video?.rtpmap.toUpperCase().startsWith('H264');
    const args = [
      '-loglevel', 'error', '-nostdin',
      '-protocol_whitelist', 'file,udp,rtp', '-fflags', '+genpts', '-reorder_queue_size', '0',
      '-i', sdpFile,
      ...(input.video ? (copyVideo ? ['-c:v', 'copy'] : ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_S})`]) : ['-vn']),
      ...(input.audio ? ['-c:a', 'aac', '-b:a', '96k'] : ['-an']),
      '-f', 'hls', '-hls_time', String(SEGMENT_S), '-hls_list_size', String(PLAYLIST_SEGMENTS),
      '-hls_flags', 'delete_segments+independent_segments+temp_file',
      '-hls_segment_filename', path.join(dir, 'seg%05d.ts'),
      path.join(dir, 'index.m3u8'),
    ];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.resume();
    child.once('exit', (code) => {
      encoder.process = null;
      if (!encoder.stopped) onExit(code);
    });
    encoder.process = child;
    return encoder;
  }

  /** The SDP ffmpeg reads: where each kind arrives and in which codec. */
  private sdp(): string {
    const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=stoa', 'c=IN IP4 127.0.0.1', 't=0 0'];
    if (this.input.video) {
      lines.push(`m=video ${this.ports.video} RTP/AVP ${VIDEO_PT}`, `a=rtpmap:${VIDEO_PT} ${this.input.video.rtpmap}`);
      if (this.input.video.fmtp) lines.push(`a=fmtp:${VIDEO_PT} ${this.input.video.fmtp}`);
    }
    if (this.input.audio) lines.push(`m=audio ${this.ports.audio} RTP/AVP ${AUDIO_PT}`, `a=rtpmap:${AUDIO_PT} ${this.input.audio.rtpmap}`);
    return `${lines.join('\n')}\n`;
  }

  /** Hands one packet of the publisher's to ffmpeg (a copy, with the payload type the SDP names). */
  feed(kind: 'audio' | 'video', rtp: RtpPacket): void {
    const port = kind === 'video' ? this.ports.video : this.ports.audio;
    if (this.stopped || port === 0) return;
    const payloadType = rtp.header.payloadType;
    rtp.header.payloadType = kind === 'video' ? VIDEO_PT : AUDIO_PT;
    const bytes = rtp.serialize();
    rtp.header.payloadType = payloadType;
    this.socket.send(bytes, port, '127.0.0.1');
  }

  /** Stops ffmpeg (it finishes the playlist on SIGINT) and the feeding socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.socket.close();
    const child = this.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
