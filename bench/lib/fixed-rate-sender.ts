/**
 * The bench's one sender: a logged-in TCP chat client in the (otherwise idle)
 * parent process that posts `{"type":"chat","token","message"}` on a fixed
 * schedule. Message i is due at start + i / rate; when the process falls behind,
 * the overdue messages go out at once, so the offered load stays what the flags
 * say. Each message text starts with its send time (epoch ms with microsecond
 * digits, the shared bench clock) and its sequence number, padded with `x` to
 * the requested length: `1732270000123.456|42|xxxx...`.
 */
import type { ChatClient } from './chat-client.js';
import { preciseNowMs } from './latency-histogram.js';

/** What the sender did, for the report. */
export interface SendTotals {
  sent: number;
  /** Messages whose send time fell inside the measurement window. */
  sentInWindow: number;
  /** `chat` replies to the sender by status (`success`, `error_It`, ...). */
  replies: Record<string, number>;
  /** The sender's own copies of the broadcast. */
  ownBroadcasts: number;
}

/** Builds the message text for sequence number `seq` sent at `sendTimeMs`. */
export function benchMessage(seq: number, chars: number, sendTimeMs: number): string {
  const head = `${sendTimeMs.toFixed(3)}|${seq}|`;
  return head.length >= chars ? head : head + 'x'.repeat(chars - head.length);
}

/** Counts the replies and own broadcasts a sender client receives; pass its methods as the client's callbacks. */
export class SenderTally {
  readonly replies: Record<string, number> = {};
  ownBroadcasts = 0;

  onBroadcast = (): void => {
    this.ownBroadcasts++;
  };

  onOther = (message: unknown): void => {
    const m = (typeof message === 'object' && message !== null ? message : {}) as { type?: unknown; status?: unknown };
    const key = `${String(m.type)}/${String(m.status)}`;
    this.replies[key] = (this.replies[key] ?? 0) + 1;
  };
}

/**
 * Sends at `rate` messages/s from `startMs` until `endMs` (epoch ms, preciseNowMs clock)
 * and resolves after the last one; messages sent in [windowStartMs, endMs) are counted apart.
 */
export function sendAtFixedRate(options: {
  client: ChatClient;
  tally: SenderTally;
  rate: number;
  startMs: number;
  windowStartMs: number;
  endMs: number;
  messageChars: number;
}): Promise<SendTotals> {
  const { client, tally, rate, startMs, windowStartMs, endMs, messageChars } = options;
  const periodMs = 1000 / rate;
  let seq = 0;
  let sentInWindow = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = preciseNowMs();
      while (startMs + seq * periodMs <= now && startMs + seq * periodMs < endMs) {
        const sendTime = preciseNowMs();
        if (sendTime >= windowStartMs && sendTime < endMs) sentInWindow++;
        client.sendJson({ type: 'chat', token: client.token ?? '', message: benchMessage(seq, messageChars, sendTime) });
        seq++;
      }
      const due = startMs + seq * periodMs;
      if (due >= endMs) {
        resolve({ sent: seq, sentInWindow, replies: tally.replies, ownBroadcasts: tally.ownBroadcasts });
        return;
      }
      setTimeout(tick, Math.max(0, due - preciseNowMs()));
    };
    setTimeout(tick, Math.max(0, startMs - preciseNowMs()));
  });
}
