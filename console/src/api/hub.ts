import { signal } from '@preact/signals';

type Listener = (message: any) => void;

/** Whether the /ws connection is open, for a small status dot in the header. */
export const hubConnected = signal(false);

/**
 * The console's one WebSocket to `/ws`: JSON frames, topic subscriptions that are sent
 * again after every reconnect, and reconnects with capped back-off. Chat login and chat
 * messages go through `send`; `on(type)` hears replies and events by their `type`.
 */
class HubClient {
  private socket: WebSocket | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly topics = new Map<string, number>();
  private readonly openHooks = new Set<() => void>();
  private retryMs = 500;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private wanted = false;

  /** Opens the connection if it is not open (idempotent). */
  connect(): void {
    this.wanted = true;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      hubConnected.value = true;
      for (const topic of this.topics.keys()) this.sendNow({ type: 'subscribe', topic });
      for (const hook of this.openHooks) hook();
    };
    socket.onmessage = (event) => {
      let message: any;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const keys = [message?.type, message?.topic ? `topic:${message.topic}` : null];
      for (const key of keys) if (key) for (const fn of this.listeners.get(key) ?? []) fn(message);
    };
    socket.onclose = () => {
      hubConnected.value = false;
      if (this.socket === socket) this.socket = null;
      if (this.wanted) this.scheduleReconnect();
    };
    socket.onerror = () => socket.close();
  }

  /** Closes the connection and stops reconnecting (sign-out). */
  disconnect(): void {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.close();
    this.socket = null;
  }

  /** Sends a frame now, or drops it with `false` when the socket is not open. */
  send(message: unknown): boolean {
    return this.sendNow(message);
  }

  /** Listens for frames of one `type`; returns the unsubscribe function. */
  on(type: string, fn: Listener): () => void {
    return this.add(type, fn);
  }

  /** Runs `fn` each time the socket (re)opens, e.g. to log in to chat again. */
  onOpen(fn: () => void): () => void {
    this.openHooks.add(fn);
    if (this.socket?.readyState === WebSocket.OPEN) fn();
    return () => this.openHooks.delete(fn);
  }

  /** Subscribes to a hub topic (`alerts`, `live:<name>`) for as long as the returned function is not called. */
  subscribe(topic: string, fn: Listener): () => void {
    this.connect();
    const count = this.topics.get(topic) ?? 0;
    this.topics.set(topic, count + 1);
    if (count === 0) this.sendNow({ type: 'subscribe', topic });
    const off = this.add(`topic:${topic}`, fn);
    return () => {
      off();
      const left = (this.topics.get(topic) ?? 1) - 1;
      if (left > 0) this.topics.set(topic, left);
      else {
        this.topics.delete(topic);
        this.sendNow({ type: 'unsubscribe', topic });
      }
    };
  }

  private add(key: string, fn: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  private sendNow(message: unknown): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted) this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }
}

/** The shared hub connection. */
export const hub = new HubClient();
