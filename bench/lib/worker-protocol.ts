/**
 * The IPC messages between the bench parent (bench/chat-fanout.ts) and its
 * load-generator processes (bench/lib/load-worker.ts). Kept in one file so both
 * sides agree on the shapes; every message is plain structured-clone data.
 */
import type { Handshake, Target } from './chat-client.js';
import type { HistogramSnapshot } from './latency-histogram.js';

/** Opens clients `firstIndex .. firstIndex + count - 1` (global indices, so the TCP/WS mix is exact across workers). */
export interface OpenCommand {
  cmd: 'open';
  /** Client with global index i goes to targets[i % targets.length] (round-robin over cluster nodes). */
  targets: Target[];
  handshake: Handshake;
  firstIndex: number;
  count: number;
  /** Fraction 0..1 of clients on WebSocket, spread evenly over the indices. */
  wsShare: number;
  usernamePrefix: string;
  password: string;
  /** Handshakes in flight at once in this worker. */
  concurrency: number;
  clientTimeoutMs: number;
  /** The whole open phase gives up after this; unfinished clients count as failed. */
  phaseTimeoutMs: number;
  wsDeflate: boolean;
}

/** Sets the measurement window (epoch ms, see preciseNowMs) and clears the counters. */
export interface WindowCommand {
  cmd: 'window';
  startMs: number;
  endMs: number;
}

export type WorkerCommand = OpenCommand | WindowCommand | { cmd: 'report' } | { cmd: 'close' };

/** Sent about once a second while opening. */
export interface ProgressEvent {
  ev: 'progress';
  ready: number;
  failed: number;
}

/** Sent once when the open phase is over. */
export interface OpenedEvent {
  ev: 'opened';
  ready: number;
  readyTcp: number;
  readyWs: number;
  /** Ready clients per entry of the command's `targets`. */
  readyPerTarget: number[];
  failed: number;
  /** Failure reason -> count. */
  failures: Record<string, number>;
  elapsedMs: number;
  /** When this worker began its first connect, epoch ms (preciseNowMs); null when it opened none. */
  firstConnectAtMs: number | null;
  /** When this worker's last client got through its handshake, epoch ms; null when none did. */
  lastReadyAtMs: number | null;
}

/** Counters since the last `window` command. */
export interface ReportEvent {
  ev: 'report';
  /** Broadcasts received while the receive time was inside the window. */
  receivedInWindow: number;
  /** Broadcasts of messages sent inside the window, received at any time so far. */
  deliveriesOfWindowMessages: number;
  /** Latencies of those deliveries. */
  latency: HistogramSnapshot;
  /** Broadcasts without a readable bench timestamp. */
  unreadable: number;
  /** Ready clients whose connection ended, and why. */
  dropped: number;
  dropReasons: Record<string, number>;
  /** Non-broadcast messages received by ready clients, by type (pings, errors...). */
  otherMessages: Record<string, number>;
  /** Clients still connected. */
  live: number;
}

export type WorkerEvent = ProgressEvent | OpenedEvent | ReportEvent | { ev: 'closed' } | { ev: 'fatal'; message: string };
