import { MediaStreamTrack, type RTCPeerConnection, type RTCRtpCodecParameters, type RTCRtpTransceiver, type RtcpPacket, type RtpPacket } from 'werift';
import type { LiveRtcConfig } from '../config.js';
import { newPeerConnection, publishVideoCodecs, sameCodec, withAnnouncedAddress } from './peer-config.js';

/** A media kind a stream carries. */
type Kind = 'audio' | 'video';

/** What the publisher sends of one kind, and the track every viewer's sender reads from. */
interface Feed {
  codec: RTCRtpCodecParameters;
  relay: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
  ssrc: number | null;
}

/** RTCP payload-specific feedback (RFC 4585): a PLI (format 1) or FIR (format 4) asks for a keyframe. */
const PSFB = 206;

/** Keyframe requests forwarded to the publisher at most this often, however many viewers ask. */
const KEYFRAME_REQUEST_GAP_MS = 500;

/** A connection state that means media no longer flows. */
export const isGone = (state: string) => state === 'disconnected' || state === 'failed' || state === 'closed';

/** Closing a connection whose peer is gone can wait on it for long: it is let go after this. */
const CLOSE_WAIT_MS = 1000;

/** Closes `pc`, waiting at most CLOSE_WAIT_MS for its peer. */
function closeConnection(pc: RTCPeerConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
  return Promise.race([pc.close().catch(() => {}), waited]).finally(() => clearTimeout(timer));
}

/** Thrown when an offer cannot be used: the route answers 400 with its message. */
export class OfferError extends Error {}

/** Applies a client's offer to `pc`; an offer it cannot read closes `pc` and throws OfferError. */
async function applyOffer(pc: RTCPeerConnection, offerSdp: string): Promise<void> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  } catch (err) {
    await closeConnection(pc);
    throw new OfferError(`The SDP offer cannot be used: ${(err as Error).message}`);
  }
}

/**
 * One published stream on this node: the publisher's peer connection and the viewers'
 * ones, with every RTP packet from the publisher forwarded as it is (no decoding) to each
 * viewer's sender, which gives it that viewer's SSRC, payload type and sequence numbers and
 * answers its NACKs from its own history. A viewer's keyframe request (PLI or FIR) goes to
 * the publisher as a PLI, at most every half second, and one is sent for every viewer that
 * connects, so a late joiner gets a picture at the publisher's next keyframe.
 */
export class StreamRelay {
  private readonly feeds = new Map<Kind, Feed>();
  private readonly viewers = new Map<string, RTCPeerConnection>();
  private lastKeyframeRequest = 0;
  private closed = false;
  /** RTP packets received from the publisher so far (a publisher that stops sending is gone). */
  packets = 0;
  /** Sees every packet from the publisher first, as it arrived (the HLS encoder). */
  tap: ((kind: Kind, rtp: RtpPacket) => void) | null = null;

  private constructor(
    private readonly rtc: LiveRtcConfig,
    readonly publisher: RTCPeerConnection,
  ) {}

  /**
   * Answers a WHIP offer: a connection that receives the audio and video the offer sends.
   * Throws OfferError for SDP that cannot be read or that sends nothing this node takes.
   */
  static async publish(rtc: LiveRtcConfig, offerSdp: string): Promise<{ relay: StreamRelay; answerSdp: string }> {
    const pc = newPeerConnection(rtc, publishVideoCodecs());
    const relay = new StreamRelay(rtc, pc);
    // Tracks appear while the offer is applied, before its transceivers can be looked at.
    pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const feed = relay.feeds.get(track.kind as Kind);
        relay.packets++;
        if (!feed || relay.closed) return;
        feed.ssrc = rtp.header.ssrc;
        // Before the viewers' senders, which rewrite the header for their own connection.
        relay.tap?.(track.kind as Kind, rtp);
        feed.relay.writeRtp(rtp);
      }),
    );
    await applyOffer(pc, offerSdp);
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.kind as Kind;
      const codec = transceiver.codecs[0];
      if (!codec || relay.feeds.has(kind)) continue;
      relay.feeds.set(kind, { codec, relay: new MediaStreamTrack({ kind }), transceiver, ssrc: null });
    }
    if (!relay.feeds.has('video') && !relay.feeds.has('audio')) {
      await closeConnection(pc);
      throw new OfferError('The SDP offer sends no audio or video this server takes (VP8 or H.264 video, Opus audio)');
    }
    await pc.setLocalDescription(await pc.createAnswer());
    return { relay, answerSdp: withAnnouncedAddress(pc.localDescription!.sdp, rtc.announcedAddress) };
  }

  /** The codec the publisher sends of each kind (mime type, clock rate, channels, format parameters). */
  codecOf(kind: Kind): RTCRtpCodecParameters | null {
    return this.feeds.get(kind)?.codec ?? null;
  }

  /** How many viewers' connections this stream holds. */
  get viewerCount(): number {
    return this.viewers.size;
  }

  /**
   * Answers a WHEP offer: a connection that sends the publisher's audio and video, in the
   * codec the publisher sends. Throws OfferError for SDP that cannot be read or that
   * receives none of it.
   */
  async watch(id: string, offerSdp: string): Promise<{ viewer: RTCPeerConnection; answerSdp: string }> {
    const video = this.feeds.get('video');
    const pc = newPeerConnection(this.rtc, video ? [sameCodec(video.codec)] : []);
    await applyOffer(pc, offerSdp);
    let sending = 0;
    for (const transceiver of pc.getTransceivers()) {
      const feed = this.feeds.get(transceiver.kind as Kind);
      if (!feed || transceiver.codecs.length === 0) {
        transceiver.setDirection('inactive');
        continue;
      }
      transceiver.setDirection('sendonly');
      await transceiver.sender.replaceTrack(feed.relay);
      transceiver.sender.onRtcp.subscribe((packet: RtcpPacket) => {
        if (packet.type === PSFB) this.requestKeyframe();
      });
      sending++;
    }
    if (sending === 0) {
      await closeConnection(pc);
      throw new OfferError(`The SDP offer receives none of what this stream sends (${[...this.feeds.values()].map((f) => f.codec.mimeType).join(', ')})`);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    this.viewers.set(id, pc);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.requestKeyframe(true);
    });
    return { viewer: pc, answerSdp: withAnnouncedAddress(pc.localDescription!.sdp, this.rtc.announcedAddress) };
  }

  /** Closes one viewer's connection. */
  async stopViewer(id: string): Promise<void> {
    const pc = this.viewers.get(id);
    if (!pc) return;
    this.viewers.delete(id);
    await closeConnection(pc);
  }

  /** Asks the publisher for a keyframe (a PLI), unless one was asked for within the last half second. */
  requestKeyframe(now = false): void {
    const video = this.feeds.get('video');
    if (!video || video.ssrc === null || this.closed) return;
    const at = performance.now();
    if (!now && at - this.lastKeyframeRequest < KEYFRAME_REQUEST_GAP_MS) return;
    this.lastKeyframeRequest = at;
    video.transceiver.receiver.sendRtcpPLI(video.ssrc).catch(() => {});
  }

  /** Closes the publisher's and every viewer's connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const viewers = [...this.viewers.values()];
    this.viewers.clear();
    for (const feed of this.feeds.values()) feed.relay.stop();
    await Promise.all([...viewers, this.publisher].map(closeConnection));
  }
}
