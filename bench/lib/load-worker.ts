/**
 * A load-generator process for bench/chat-fanout.ts, started with
 * child_process.fork so the receiving clients never share an event loop (or a
 * core) with the server under test or with the sender.
 *
 * It opens its share of clients with bounded concurrency, then counts every
 * broadcast they receive: how many arrived inside the measurement window
 * (deliveries/s), and for messages sent inside the window, their latency
 * (receive time minus the timestamp the sender wrote into the text, both from
 * `performance.timeOrigin + performance.now()`, which agree across processes on
 * one machine). A latency here includes this process's own queueing, i.e. the
 * load generator is part of the measurement, as the targets ask.
 *
 * It exits when the parent says `close` or when the IPC channel goes away, so an
 * aborted bench never leaves it behind.
 */
import { HandshakeError, openChatClient, type ChatClient, type Transport } from './chat-client.js';
import { LatencyHistogram, preciseNowMs } from './latency-histogram.js';
import type { OpenCommand, WorkerCommand, WorkerEvent } from './worker-protocol.js';

const clients: ChatClient[] = [];
let windowStart = Number.POSITIVE_INFINITY;
let windowEnd = Number.POSITIVE_INFINITY;
let receivedInWindow = 0;
let deliveriesOfWindowMessages = 0;
let unreadable = 0;
let latency = new LatencyHistogram();
let dropped = 0;
let live = 0;
let dropReasons: Record<string, number> = {};
let otherMessages: Record<string, number> = {};

function send(event: WorkerEvent): void {
  if (process.connected) process.send!(event);
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function onBroadcast(sendTs: number): void {
  const now = preciseNowMs();
  if (now >= windowStart && now < windowEnd) receivedInWindow++;
  if (Number.isNaN(sendTs)) {
    unreadable++;
    return;
  }
  if (sendTs >= windowStart && sendTs < windowEnd) {
    deliveriesOfWindowMessages++;
    latency.record(now - sendTs);
  }
}

function onOther(message: unknown): void {
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : 'unparsable';
  const status = typeof message === 'object' && message !== null ? (message as { status?: unknown }).status : undefined;
  bump(otherMessages, status === undefined ? String(type) : `${String(type)}/${String(status)}`);
}

function onClose(reason: string): void {
  dropped++;
  live--;
  bump(dropReasons, reason);
}

/** Client `index` is on WebSocket when the running WS quota steps up at it, so any share spreads evenly. */
function transportOf(index: number, wsShare: number): Transport {
  return Math.floor((index + 1) * wsShare) > Math.floor(index * wsShare) ? 'ws' : 'tcp';
}

async function open(command: OpenCommand): Promise<void> {
  const started = Date.now();
  const deadline = started + command.phaseTimeoutMs;
  const failures: Record<string, number> = {};
  let ready = 0;
  let readyTcp = 0;
  let readyWs = 0;
  const readyPerTarget = command.targets.map(() => 0);
  let failed = 0;
  let next = 0;
  let firstConnectAtMs: number | null = null;
  let lastReadyAtMs: number | null = null;

  const progress = setInterval(() => send({ ev: 'progress', ready, failed }), 1000);

  async function lane(): Promise<void> {
    while (next < command.count) {
      const index = command.firstIndex + next++;
      if (Date.now() >= deadline) {
        failed++;
        bump(failures, 'phase timeout before start');
        continue;
      }
      const transport = transportOf(index, command.wsShare);
      firstConnectAtMs ??= preciseNowMs();
      try {
        const client = await openChatClient({
          target: command.targets[index % command.targets.length]!,
          transport,
          handshake: command.handshake,
          username: `${command.usernamePrefix}${index}`,
          password: command.password,
          timeoutMs: Math.max(1, Math.min(command.clientTimeoutMs, deadline - Date.now())),
          wsDeflate: command.wsDeflate,
          onBroadcast,
          onOther,
          onClose,
        });
        clients.push(client);
        lastReadyAtMs = preciseNowMs();
        ready++;
        live++;
        readyPerTarget[index % command.targets.length]!++;
        if (transport === 'tcp') readyTcp++;
        else readyWs++;
      } catch (error) {
        failed++;
        bump(failures, `${transport}: ${error instanceof HandshakeError ? error.reason : String(error)}`);
      }
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, lane));
  clearInterval(progress);
  send({ ev: 'opened', ready, readyTcp, readyWs, readyPerTarget, failed, failures, elapsedMs: Date.now() - started, firstConnectAtMs, lastReadyAtMs });
}

function closeAll(): void {
  for (const client of clients) client.close();
  clients.length = 0;
}

process.on('message', (command: WorkerCommand) => {
  switch (command.cmd) {
    case 'open':
      open(command).catch((error: unknown) => send({ ev: 'fatal', message: String(error) }));
      break;
    case 'window':
      windowStart = command.startMs;
      windowEnd = command.endMs;
      receivedInWindow = 0;
      deliveriesOfWindowMessages = 0;
      unreadable = 0;
      latency = new LatencyHistogram();
      dropped = 0;
      dropReasons = {};
      otherMessages = {};
      break;
    case 'report':
      send({
        ev: 'report',
        receivedInWindow,
        deliveriesOfWindowMessages,
        latency: latency.snapshot(),
        unreadable,
        dropped,
        dropReasons,
        otherMessages,
        live,
      });
      break;
    case 'close':
      closeAll();
      send({ ev: 'closed' });
      setTimeout(() => process.exit(0), 200).unref();
      break;
  }
});

// The parent is gone (finished, crashed or killed): never outlive it.
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
