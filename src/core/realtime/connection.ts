/** An event serialised once and shared by every connection it goes to (fan-out never re-encodes). */
export class OutgoingEvent {
  private line: Buffer | undefined;
  private frame: Buffer | undefined;

  constructor(readonly json: string) {}

  /** Builds from a plain object. */
  static of(event: object): OutgoingEvent {
    return new OutgoingEvent(JSON.stringify(event));
  }

  /** The JSON followed by a newline: the TCP wire form. */
  get tcpLine(): Buffer {
    return (this.line ??= Buffer.from(`${this.json}\n`, 'utf8'));
  }

  /** The JSON alone: one WebSocket text frame. */
  get wsPayload(): Buffer {
    return (this.frame ??= Buffer.from(this.json, 'utf8'));
  }
}

/** Which wire a client came in on. */
export type Transport = 'tcp' | 'ws' | 'socketio';

/** The chat identity a connection holds after logging in. */
export interface BoundUser {
  id: number;
  username: string;
}

/**
 * One connected realtime client, whatever its transport. The hub knows clients only
 * through this, so TCP, WebSocket and Socket.IO behave alike.
 */
export interface HubConnection {
  /** Unique on this node. */
  readonly id: string;
  readonly transport: Transport;
  readonly remoteAddress: string;
  /** Epoch ms of the last frame received; the idle sweep reads it. */
  lastActivityAt: number;
  /** Set while the connection is a logged-in chat client. */
  user: BoundUser | null;
  readonly topics: Set<string>;
  /** Queues an event; false when the connection is closed or was just dropped for not reading. */
  send(event: OutgoingEvent): boolean;
  /** True while the transport can still carry data. */
  isOpen(): boolean;
  /**
   * Closes the connection, after sending `lastEvent` when one is given (an error the
   * client must still read); the transport then tells the hub it is gone.
   */
  close(reason: string, lastEvent?: OutgoingEvent): void;
  /** Stops reading while too many of its frames wait to be handled. */
  pauseReading(): void;
  resumeReading(): void;
}
