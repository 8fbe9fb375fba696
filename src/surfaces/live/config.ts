import type { EnvReader } from '../../core/config.js';

/** The live surface's settings. */
export interface LiveConfig {
  /** A stream live this long raises the long-stream alert (LIVE_ALERT_AFTER_S, 6 h). */
  alertAfterS: number;
  /** A viewer's watch heartbeat counts this long (LIVE_WATCH_TTL_S). */
  watchTtlS: number;
  /** How often the long-stream check runs (LIVE_ALERT_CHECK_INTERVAL_S). */
  alertCheckIntervalS: number;
  /** WebRTC publishing and watching (WHIP, WHEP). */
  rtc: LiveRtcConfig;
}

/** Where WebRTC media flows: UDP ports, the address clients are told, how long a vanished publisher is waited for. */
export interface LiveRtcConfig {
  /** UDP ports for ICE, inclusive (LIVE_RTC_PORT_MIN/MAX); null: any free port. */
  portRange: [number, number] | null;
  /** An address clients reach this node at, announced beside its own (LIVE_RTC_ANNOUNCED_ADDRESS: the public IP behind a 1:1 NAT). */
  announcedAddress: string | null;
  /** A publisher whose connection is gone this long ends its stream (LIVE_PUBLISHER_GONE_S, 10). */
  publisherGoneS: number;
  /** WebRTC viewers one node serves at most, over every stream (LIVE_MAX_WEBRTC_VIEWERS). */
  maxViewers: number;
  /** The ffmpeg that writes HLS (LIVE_FFMPEG_PATH, `ffmpeg`); null when HLS is off (LIVE_HLS=off). */
  ffmpegPath: string | null;
  /** Segments of an ended stream are removed this long after its end (LIVE_HLS_KEEP_S, 60). */
  hlsKeepS: number;
}

declare module '../../core/config.js' {
  interface ConfigSections {
    live: LiveConfig;
  }
}

/** Reads the live section (LIVE_*). */
export function readLiveConfig(r: EnvReader): { live: LiveConfig } {
  return {
    live: {
      alertAfterS: r.int('LIVE_ALERT_AFTER_S', 21600, 1, 365 * 24 * 3600),
      watchTtlS: r.int('LIVE_WATCH_TTL_S', 30, 1, 3600),
      alertCheckIntervalS: r.int('LIVE_ALERT_CHECK_INTERVAL_S', 60, 1, 24 * 3600),
      rtc: readRtcConfig(r),
    },
  };
}

/** LIVE_HLS: `auto` (the default: HLS when ffmpeg runs) or `off`. */
function readHlsSwitch(r: EnvReader): boolean {
  const value = r.string('LIVE_HLS', 'auto');
  if (value !== 'auto' && value !== 'off') r.problem('LIVE_HLS must be auto or off');
  return value !== 'off';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function readRtcConfig(r: EnvReader): LiveRtcConfig {
  const min = r.int('LIVE_RTC_PORT_MIN', 0, 0, 65535);
  const max = r.int('LIVE_RTC_PORT_MAX', 0, 0, 65535);
  if ((min === 0) !== (max === 0)) r.problem('LIVE_RTC_PORT_MIN and LIVE_RTC_PORT_MAX must be set together');
  else if (min !== 0 && max - min < 1) r.problem('LIVE_RTC_PORT_MAX must be above LIVE_RTC_PORT_MIN');
  const announced = r.optional('LIVE_RTC_ANNOUNCED_ADDRESS');
  if (announced !== null && !IPV4.test(announced)) r.problem('LIVE_RTC_ANNOUNCED_ADDRESS must be an IPv4 address');
  return {
    portRange: min !== 0 && max > min ? [min, max] : null,
    announcedAddress: announced !== null && IPV4.test(announced) ? announced : null,
    publisherGoneS: r.int('LIVE_PUBLISHER_GONE_S', 10, 1, 3600),
    maxViewers: r.int('LIVE_MAX_WEBRTC_VIEWERS', 200, 0, 100_000),
    ffmpegPath: readHlsSwitch(r) ? r.string('LIVE_FFMPEG_PATH', 'ffmpeg') : null,
    hlsKeepS: r.int('LIVE_HLS_KEEP_S', 60, 0, 7 * 24 * 3600),
  };
}
