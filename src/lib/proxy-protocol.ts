import { isIPv4, isIPv6 } from 'node:net';

/** The longest PROXY protocol v1 header, CRLF included (haproxy's proxy-protocol.txt, section 2.1). */
export const PROXY_V1_MAX_BYTES = 107;

/** What the start of a connection's bytes holds. */
export type ProxyHeader =
  | { kind: 'incomplete' }
  | { kind: 'invalid' }
  /** `source` is the client's address, or null for `PROXY UNKNOWN` (the proxy's own health check, say). */
  | { kind: 'ok'; source: string | null; length: number };

const PORT = /^(0|[1-9]\d{0,4})$/;

/**
 * Reads a PROXY protocol v1 header (what nginx's `proxy_protocol on` and haproxy's
 * `send-proxy` put before a proxied TCP stream) from the first bytes of a connection:
 * `PROXY TCP4|TCP6 <source> <destination> <source port> <destination port>\r\n`, or
 * `PROXY UNKNOWN ...\r\n`. `length` is where the client's own bytes begin.
 */
export function readProxyV1Header(bytes: Buffer): ProxyHeader {
  const end = bytes.indexOf('\r\n');
  if (end < 0) {
    const startsRight = 'PROXY '.startsWith(bytes.subarray(0, 6).toString('latin1'));
    return startsRight && bytes.length < PROXY_V1_MAX_BYTES ? { kind: 'incomplete' } : { kind: 'invalid' };
  }
  if (end + 2 > PROXY_V1_MAX_BYTES) return { kind: 'invalid' };
  const parts = bytes.subarray(0, end).toString('latin1').split(' ');
  if (parts[0] !== 'PROXY') return { kind: 'invalid' };
  if (parts[1] === 'UNKNOWN') return { kind: 'ok', source: null, length: end + 2 };
  if (parts.length !== 6) return { kind: 'invalid' };
  const [, family, source, destination, sourcePort, destinationPort] = parts as [string, string, string, string, string, string];
  const isFamily = family === 'TCP4' ? isIPv4 : family === 'TCP6' ? isIPv6 : null;
  if (!isFamily || !isFamily(source) || !isFamily(destination)) return { kind: 'invalid' };
  for (const port of [sourcePort, destinationPort]) if (!PORT.test(port) || Number(port) > 65535) return { kind: 'invalid' };
  return { kind: 'ok', source, length: end + 2 };
}
