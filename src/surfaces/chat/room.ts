import type { App } from '../../core/app.js';
import { OutgoingEvent, type BoundUser, type HubConnection } from '../../core/realtime/connection.js';
import { ChatRoster, CHAT_PRESENCE_TOPIC } from './roster.js';
import { UserLeases } from './user-leases.js';

/** The hub topic of the room itself: logged-in chat connections are joined to it by the server, never by asking. */
const ROOM_TOPIC = 'chat';

/**
 * The chat room on this node, across TCP, WebSocket and Socket.IO: who is logged in
 * (one live connection per user, held by a presence lease: user-leases.ts), who is online
 * on every node (roster.ts, sent to `chat:presence` subscribers), and the room's
 * broadcast, which reaches every logged-in chat connection on every node.
 */
export class ChatRoom {
  private readonly leases: UserLeases;
  private readonly roster: ChatRoster;

  constructor(private readonly app: App) {
    const { nodeId, clock, log, hub, state } = app;
    const leaseMs = app.config.chat.presenceLeaseS * 1000;
    this.roster = new ChatRoster({ nodeId, clock, log, pubsub: state.pubsub, leaseMs }, (online) =>
      hub.sendLocal(CHAT_PRESENCE_TOPIC, presenceEvent(online)),
    );
    this.leases = new UserLeases({ nodeId, clock, log, presence: state.presence, leaseMs }, {
      connection: (id) => hub.connection(id),
      isBusy: (conn) => hub.isBusy(conn),
      drop: async (conn, reason) => {
        conn.close(reason);
        await hub.remove(conn);
      },
      membershipChanged: (conn, user, joined) => {
        if (joined) {
          hub.join(conn, ROOM_TOPIC);
          return this.roster.join(user.username);
        }
        hub.leave(conn, ROOM_TOPIC);
        this.roster.leave(user.username);
        // Who is online is for chat members only: a client that stops being one stops hearing it.
        hub.leave(conn, CHAT_PRESENCE_TOPIC);
      },
    });
  }

  /** Joins the roster, starts refreshing leases, and hooks the room into the hub. */
  async start(): Promise<void> {
    const { hub, log } = this.app;
    await this.roster.start();
    this.leases.start();
    hub.onFrame((conn) => this.leases.touch(conn));
    hub.onRemove((conn) => this.leases.release(conn).catch((err) => log.warn({ err }, 'presence release failed')));
    hub.allowTopics((topic) => topic === CHAT_PRESENCE_TOPIC, {
      refusal: (conn) => (conn.user ? null : 'Log in to chat to see who is online'),
      opening: () => ({ type: 'presence', topic: CHAT_PRESENCE_TOPIC, online: this.roster.online() }),
    });
    // After the hub has closed every connection (releasing each lease): then the roster says goodbye.
    hub.onStop(async () => {
      this.leases.stop();
      await this.roster.stop();
    });
  }

  /**
   * Makes `conn` the user's one live connection. If another connection holds the user,
   * it is probed with `{"type":"ping"}`; a dead one is dropped and the claim proceeds.
   */
  claimUser(conn: HubConnection, user: BoundUser): Promise<boolean> {
    return this.leases.claim(conn, user);
  }

  /** True when the user holds a live connection on any node; a dead local holder is cleaned up first. */
  isUserLive(userId: number): Promise<boolean> {
    return this.leases.isLive(userId);
  }

  /** Ends the chat identity of a connection (logout). */
  releaseUser(conn: HubConnection): Promise<void> {
    return this.leases.release(conn);
  }

  /** Sends a chat event to every logged-in chat client on every node. */
  broadcast(event: object): Promise<void> {
    return this.app.hub.broadcast(ROOM_TOPIC, event);
  }

  /** Everyone in the chat room on any node, sorted (what `chat:presence` subscribers see). */
  online(): string[] {
    return this.roster.online();
  }
}

function presenceEvent(online: string[]): OutgoingEvent {
  return OutgoingEvent.of({ type: 'presence', topic: CHAT_PRESENCE_TOPIC, online });
}

const rooms = new WeakMap<App, ChatRoom>();

/** The chat room of `app` (one per app), made on first use and started with the chat surface. */
export function chatRoom(app: App): ChatRoom {
  let room = rooms.get(app);
  if (!room) rooms.set(app, (room = new ChatRoom(app)));
  return room;
}
