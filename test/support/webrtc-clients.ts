import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, RTCPeerConnection, RtpPacket, useOPUS, useVP8, Vp8RtpPayload } from 'werift';

/** A client's connection: ICE on loopback, VP8 and Opus, as a browser on this machine would offer. */
function clientConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: { video: [useVP8({ payloadType: 96 })], audio: [useOPUS({ payloadType: 111 })] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  });
}

/** What a WHIP or WHEP POST answered: the status, the headers that matter and the body. */
export interface OfferAnswer {
  status: number;
  location: string | null;
  contentType: string | null;
  body: string;
}

/** POSTs `sdp` as an offer, as a WHIP or WHEP client does. */
export async function postOffer(url: string, sdp: string, headers: Record<string, string> = {}): Promise<OfferAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', ...headers }, body: sdp });
  return { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type'), body: await res.text() };
}

/**
 * A headless publisher, as OBS would be: a VP8 test picture (ffmpeg's `testsrc`, 15 fps,
 * a keyframe every second) sent over WebRTC. `offer()` makes the SDP to POST; `answer()`
 * takes the server's; `stop()` ends the encoder and the connection.
 */
export class TestPublisher {
  readonly pc = clientConnection();
  private readonly track = new MediaStreamTrack({ kind: 'video' });
  private udp: Socket | null = null;
  private encoder: ChildProcess | null = null;
  /** Keyframe requests (PLI/FIR) the server sent this publisher. */
  keyframeRequests = 0;

  constructor() {
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendonly' });
    transceiver.sender.onRtcp.subscribe((packet) => {
      if (packet.type === 206) this.keyframeRequests++;
    });
  }

  /** Starts the encoder and makes the offer. */
  async offer(): Promise<string> {
    const udp = createSocket('udp4');
    this.udp = udp;
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    udp.on('message', (data) => this.track.writeRtp(RtpPacket.deSerialize(data)));
    const port = udp.address().port;
    this.encoder = spawn(
      'ffmpeg',
      ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8',
        '-b:v', '300k', '-g', '15', '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  /** Applies the server's answer. */
  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Stops encoding and closes the connection (as a publisher that vanishes without a DELETE). */
  async stop(): Promise<void> {
    this.encoder?.kill('SIGKILL');
    this.encoder = null;
    this.udp?.close();
    this.udp = null;
    await this.pc.close().catch(() => {});
  }
}

/** A headless WHEP viewer: counts the video packets it receives and notes the first keyframe. */
export class TestViewer {
  readonly pc = clientConnection();
  videoPackets = 0;
  keyframes = 0;

  constructor() {
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.pc.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        this.videoPackets++;
        if (Vp8RtpPayload.deSerialize(rtp.payload).isKeyframe) this.keyframes++;
      });
    });
  }

  /** Makes the offer to POST. */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  /** Applies the server's answer. */
  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** The connection state, e.g. 'connected' or 'closed'. */
  get state(): string {
    return this.pc.connectionState;
  }

  /** Closes the connection. */
  async stop(): Promise<void> {
    await this.pc.close().catch(() => {});
  }
}
