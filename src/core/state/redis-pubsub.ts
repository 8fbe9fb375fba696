import type { Redis } from 'ioredis';
import { guardRedis } from './redis-errors.js';
import type { PubSub } from './types.js';

type Handler = (message: string) => void;

interface Subscription {
  handlers: Set<Handler>;
  /** Settles when Redis confirmed SUBSCRIBE for this channel. */
  confirmed: Promise<unknown>;
}

/**
 * Redis pub/sub over one subscriber connection for every channel: a connection in
 * subscriber mode cannot run other commands, and one per channel would not scale.
 * After a reconnect ioredis resubscribes every channel by itself (`autoResubscribe`).
 */
export class RedisPubSub implements PubSub {
  private readonly channels = new Map<string, Subscription>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly warn: (obj: object, msg: string) => void,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  async publish(channel: string, message: string): Promise<void> {
    await guardRedis(this.publisher.publish(this.prefix + channel, message));
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const name = this.prefix + channel;
    let subscription = this.channels.get(name);
    if (!subscription) {
      subscription = { handlers: new Set(), confirmed: guardRedis(this.subscriber.subscribe(name)) };
      this.channels.set(name, subscription);
    }
    // A handler object may subscribe twice; each subscription gets its own identity.
    const own: Handler = (message) => handler(message);
    subscription.handlers.add(own);
    try {
      await subscription.confirmed;
    } catch (err) {
      // Nothing was subscribed; drop the entry so the next subscribe tries again.
      subscription.handlers.delete(own);
      if (this.channels.get(name) === subscription) this.channels.delete(name);
      throw err;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      await this.leave(name, subscription, own);
    };
  }

  private async leave(name: string, subscription: Subscription, handler: Handler): Promise<void> {
    subscription.handlers.delete(handler);
    if (subscription.handlers.size > 0 || this.channels.get(name) !== subscription) return;
    this.channels.delete(name);
    // Commands on one connection run in order, so a later SUBSCRIBE to this channel wins.
    // A failed UNSUBSCRIBE (Redis down) only leaves messages nobody dispatches: log, not throw.
    await this.subscriber.unsubscribe(name).catch((err: Error) => {
      this.warn({ channel: name.slice(this.prefix.length), err: err.message }, 'redis unsubscribe failed');
    });
  }

  private dispatch(channel: string, message: string): void {
    const subscription = this.channels.get(channel);
    if (!subscription) return;
    for (const handler of subscription.handlers) {
      try {
        handler(message);
      } catch (err) {
        // ioredis rethrows listener errors as uncaught exceptions; one bad handler must not crash the node.
        this.warn({ channel: channel.slice(this.prefix.length), err: (err as Error).message }, 'pub/sub handler threw');
      }
    }
  }
}
