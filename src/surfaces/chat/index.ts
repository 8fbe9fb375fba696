import type { AddressInfo } from 'node:net';
import type { App } from '../../core/app.js';
import { listenTcp } from '../../core/realtime/tcp-endpoint.js';
import type { Surface } from '../../core/surface.js';
import { registerChatHandlers } from './realtime.js';
import { chatRoom } from './room.js';
import { chatRoutes } from './routes.js';
import { chatMigrations } from './tables.js';
import { readChatConfig } from './config.js';

/**
 * The chat room: HTTP API, raw TCP JSON socket (its listener is started here), and the chat
 * protocol on `/ws` and Socket.IO, with the room's presence and roster (room.ts).
 */
export const chatSurface: Surface = {
  name: 'chat',
  config: readChatConfig,
  migrations: chatMigrations,
  routes: (http, app) => chatRoutes(http, app),
  async start(app: App) {
    await chatRoom(app).start();
    registerChatHandlers(app);
    if (app.config.chat.socketPort < 0) return;
    const tcp = await listenTcp(
      app.hub,
      {
        host: app.config.host,
        port: app.config.chat.socketPort,
        maxFrameBytes: app.config.realtime.maxFrameBytes,
        maxOutgoingBufferBytes: app.config.realtime.maxOutgoingBufferBytes,
        backlog: 65535,
        proxyProtocol: app.config.chat.socketProxyProtocol,
      },
      { clock: app.clock, log: app.log },
    );
    const address = tcp.address() as AddressInfo;
    return {
      announce: [`tcp chat listening on ${address.address}:${address.port}`],
      stop: async () => {
        // Stops accepting; the hub closes the open connections after every surface stopped.
        tcp.close();
      },
    };
  },
};
