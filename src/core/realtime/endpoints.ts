import type { Server as HttpServer } from 'node:http';
import type { App } from '../app.js';
import { attachSocketIo, type SocketIoRelay } from './socketio-endpoint.js';
import { attachWebSocket } from './ws-endpoint.js';

/** How often `/ws` pings its clients. */
const WS_PING_INTERVAL_MS = 30_000;

/**
 * Serves the hub on the HTTP port: `/ws` (one JSON object per text frame) and Socket.IO at
 * `/socket.io` (across nodes through Redis in cluster mode), both with the realtime frame
 * limits, and Socket.IO relaying the topics surfaces declared. Returns how to close both.
 */
export function attachRealtimeEndpoints(server: HttpServer, app: App, relays: readonly SocketIoRelay[]): () => Promise<void> {
  const { config } = app;
  const closeWebSocket = attachWebSocket(
    server,
    app.hub,
    {
      path: '/ws',
      maxFrameBytes: config.realtime.maxFrameBytes,
      maxOutgoingBufferBytes: config.realtime.maxOutgoingBufferBytes,
      pingIntervalMs: WS_PING_INTERVAL_MS,
      passThroughPaths: ['/socket.io/'],
    },
    { clock: app.clock },
  );
  const closeSocketIo = attachSocketIo(
    server,
    app.hub,
    {
      path: '/socket.io',
      maxMessageBytes: config.realtime.maxFrameBytes,
      corsOrigins: config.corsOrigins,
      relays,
      redis: config.redisUrl ? { url: config.redisUrl, keyPrefix: config.redisPrefix } : undefined,
    },
    { clock: app.clock, log: app.log },
  );
  return async () => {
    await closeWebSocket();
    await closeSocketIo();
  };
}
