import { RTCPeerConnection, RTCRtpCodecParameters, useH264, useOPUS, useVP8, type RTCPeerConnectionConfig } from 'werift';
import type { LiveRtcConfig } from '../config.js';

/** Fixed payload types, so a publisher's packets and a viewer's answer agree without mapping. */
const VP8_PT = 96;
const H264_PT = 102;
const OPUS_PT = 111;

/** The video codecs a publisher may send: VP8 (every browser), H.264 constrained baseline (OBS, Safari). */
export const publishVideoCodecs = (): RTCRtpCodecParameters[] => [useVP8({ payloadType: VP8_PT }), useH264({ payloadType: H264_PT })];

/** The one audio codec: Opus, as every WebRTC client sends it. */
export const audioCodecs = (): RTCRtpCodecParameters[] => [useOPUS({ payloadType: OPUS_PT })];

/**
 * A peer connection for this node: ICE on loopback and every host address, on the
 * configured UDP ports, bundled, with `video` codecs (a viewer gets exactly the codec its
 * publisher sends, since media is forwarded without decoding).
 */
export function newPeerConnection(rtc: LiveRtcConfig, video: RTCRtpCodecParameters[]): RTCPeerConnection {
  const config: RTCPeerConnectionConfig = {
    codecs: { video, audio: audioCodecs() },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  };
  if (rtc.portRange) config.icePortRange = rtc.portRange;
  return new RTCPeerConnection(config);
}

/** A copy of `codec` (a viewer's connection must not share parameter objects with the publisher's). */
export function sameCodec(codec: RTCRtpCodecParameters): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ ...codec, rtcpFeedback: [...codec.rtcpFeedback] });
}

/**
 * `sdp` with every host candidate on a routable address also announced at `address`
 * (same port, a lower priority), for a node behind a 1:1 NAT whose public address is not
 * one of its own. Loopback candidates are left alone.
 */
export function withAnnouncedAddress(sdp: string, address: string | null): string {
  if (!address) return sdp;
  const lines = sdp.split('\r\n');
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    const m = /^a=candidate:(\S+) (\d+) (udp|tcp) (\d+) (\S+) (\d+) typ host(.*)$/i.exec(line);
    if (!m || m[5] === '127.0.0.1' || m[5] === address) continue;
    const priority = Math.max(1, Number(m[4]) - 1000);
    out.push(`a=candidate:${m[1]}a ${m[2]} ${m[3]} ${priority} ${address} ${m[6]} typ host${m[7]}`);
  }
  return out.join('\r\n');
}
