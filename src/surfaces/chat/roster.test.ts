import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryState } from '../../core/state/memory-state.js';
import { ChatRoster } from './roster.js';

/** Several nodes' rosters on one pub/sub (as with Redis behind a cluster) agree on who is online. */

const log = pino({ level: 'silent' });
const LEASE_MS = 3000;

function node(id: string, clock: ManualClock, pubsub: ReturnType<typeof createMemoryState>['pubsub']) {
  const seen: string[][] = [];
  const roster = new ChatRoster({ nodeId: id, clock, log, pubsub, leaseMs: LEASE_MS }, (online) => seen.push(online));
  return { roster, seen };
}

describe('chat roster across nodes', () => {
  test('joins and leaves on any node reach every node; a new node learns the others; a silent node expires', async () => {
    const clock = new ManualClock();
    const { pubsub } = createMemoryState(clock);
    const a = node('a', clock, pubsub);
    const b = node('b', clock, pubsub);
    await a.roster.start();
    await b.roster.start();
    a.roster.join('ann');
    b.roster.join('bob');
    b.roster.join('bob'); // a second membership on one node counts once
    await sleep(150);
    assert.deepEqual(a.roster.online(), ['ann', 'bob']);
    assert.deepEqual(b.roster.online(), ['ann', 'bob']);
    assert.deepEqual(a.seen.at(-1), ['ann', 'bob']);

    // A node that starts later asks, and the busy nodes announce their lists.
    const c = node('c', clock, pubsub);
    await c.roster.start();
    await sleep(150);
    assert.deepEqual(c.roster.online(), ['ann', 'bob']);

    b.roster.leave('bob');
    await sleep(150);
    assert.deepEqual(a.roster.online(), ['ann', 'bob'], 'bob still has one membership on b');
    b.roster.leave('bob');
    await sleep(150);
    assert.deepEqual(a.roster.online(), ['ann']);
    assert.deepEqual(c.seen.at(-1), ['ann']);

    // A node that dies without a word is forgotten once it has been silent for a lease.
    await a.roster.stop();
    await sleep(150);
    assert.deepEqual(c.roster.online(), [], 'a clean stop says bye');
    const d = node('d', clock, pubsub);
    await d.roster.start();
    d.roster.join('dee');
    await sleep(150);
    assert.deepEqual(c.roster.online(), ['dee']);
    // Simulate d dying: stop its timers without the bye, then let the others' clocks pass the lease.
    (d.roster as unknown as { unsubscribe: undefined }).unsubscribe = undefined;
    await d.roster.stop();
    clock.advance(LEASE_MS + 1);
    (c.roster as unknown as { tick(): void }).tick();
    await sleep(150);
    assert.deepEqual(c.roster.online(), []);

    await b.roster.stop();
    await c.roster.stop();
  });
});
