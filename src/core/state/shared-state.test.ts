import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../../test/support/eventually.js';
import { testRedisUrl, uniqueRedisPrefix } from '../../../test/support/services.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryState } from './memory-state.js';
import { createRedisState } from './redis-state.js';
import type { SharedState } from './types.js';

/**
 * One scenario list, every implementation. `open` returns two handles on the same shared
 * state: for Redis two separate connections with one prefix (two nodes), for memory the
 * same object twice (one node).
 */
interface Backend {
  kind: SharedState['kind'];
  skip: string | false;
  open(): [SharedState, SharedState];
  /** Lets `ms` of the backend's time pass: the memory backend's clock is moved, Redis's TTLs run in real time. */
  wait(ms: number): Promise<void>;
  /** A duration as given to this backend: Redis's are stretched so that a busy machine cannot outrun them. */
  ms(n: number): number;
}

/** How much longer Redis's real-time TTLs and waits are than the memory backend's. */
const REDIS_STRETCH = 3;
const memoryClock = new ManualClock();

// Under CI=true this throws when Redis is down, which fails the file instead of skipping.
const redisUrl = await testRedisUrl();

const BACKENDS: Backend[] = [
  {
    kind: 'memory',
    skip: false,
    open: () => {
      const state = createMemoryState(memoryClock);
      return [state, state];
    },
    wait: async (ms) => memoryClock.advance(ms),
    ms: (n) => n,
  },
  {
    kind: 'redis',
    skip: redisUrl ? false : 'Redis not reachable',
    open: () => {
      const prefix = uniqueRedisPrefix();
      return [createRedisState({ url: redisUrl!, prefix }), createRedisState({ url: redisUrl!, prefix })];
    },
    wait: (ms) => sleep(ms * REDIS_STRETCH),
    ms: (n) => n * REDIS_STRETCH,
  },
];

for (const backend of BACKENDS) {
  describe(`shared state (${backend.kind})`, { skip: backend.skip }, () => {
    let state: SharedState;
    let peer: SharedState;
    const { wait, ms } = backend;

    before(async () => {
      [state, peer] = backend.open();
      await state.ping();
      await peer.ping();
    });
    after(async () => {
      await state.close();
      if (peer !== state) await peer.close();
    });

    test('reports its kind', () => {
      assert.equal(state.kind, backend.kind);
    });

    describe('key-value', () => {
      test('get returns what set stored, until the TTL runs out', async () => {
        assert.equal(await state.kv.get('missing'), null);
        await state.kv.set('greeting', 'hello', ms(100));
        assert.equal(await peer.kv.get('greeting'), 'hello');
        await state.kv.set('greeting', 'hi', ms(100));
        assert.equal(await state.kv.get('greeting'), 'hi');
        await wait(150);
        assert.equal(await state.kv.get('greeting'), null);
      });

      test('setIfAbsent stores only once until the key expires', async () => {
        assert.equal(await state.kv.setIfAbsent('once', 'first', ms(80)), true);
        assert.equal(await peer.kv.setIfAbsent('once', 'second', ms(80)), false);
        assert.equal(await state.kv.get('once'), 'first');
        await wait(120);
        assert.equal(await state.kv.setIfAbsent('once', 'third', ms(80)), true);
        assert.equal(await state.kv.get('once'), 'third');
      });

      test('take returns a value once', async () => {
        await state.kv.set('captcha', '42', 5000);
        assert.equal(await state.kv.take('captcha'), '42');
        assert.equal(await peer.kv.take('captcha'), null);
        assert.equal(await state.kv.get('captcha'), null);
      });

      test('of 50 concurrent takes exactly one gets the value', async () => {
        await state.kv.set('race', 'prize', 5000);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? peer : state).kv.take('race')),
        );
        assert.deepEqual(results.filter((r) => r !== null), ['prize']);
      });

      test('take of an expired key returns null', async () => {
        await state.kv.set('stale', 'x', ms(60));
        await wait(100);
        assert.equal(await state.kv.take('stale'), null);
      });

      test('delete removes a key', async () => {
        await state.kv.set('doomed', 'x', 5000);
        await peer.kv.delete('doomed');
        assert.equal(await state.kv.get('doomed'), null);
        await state.kv.delete('never-existed');
      });

      test('increment creates at 1 with the TTL and does not extend it', async () => {
        assert.equal(await state.kv.increment('counter', ms(150)), 1);
        await wait(80);
        assert.equal(await peer.kv.increment('counter', ms(150)), 2);
        const left = await state.kv.ttlMs('counter');
        assert.ok(left !== null && left > 0 && left <= ms(75), `ttl ${left} was extended`);
        await wait(100);
        assert.equal(await state.kv.get('counter'), null);
        assert.equal(await state.kv.increment('counter', ms(150)), 1);
      });

      test('50 concurrent increments end at 50', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? peer : state).kv.increment('busy', 5000)),
        );
        assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
        assert.equal(await state.kv.get('busy'), '50');
      });

      test('ttlMs is null for a missing key and at most the TTL otherwise', async () => {
        assert.equal(await state.kv.ttlMs('nothing'), null);
        await state.kv.set('timed', 'x', 1000);
        const left = await state.kv.ttlMs('timed');
        assert.ok(left !== null && left > 900 && left <= 1000, `ttl ${left}`);
      });
    });

    describe('rate limits', () => {
      test('spending past the points is refused with a wait, and reset restores them', async () => {
        const limit = state.limits.create('login', { points: 3, durationS: 60 });
        assert.deepEqual(await limit.consume('ip-1'), { allowed: true, remaining: 2, retryAfterMs: 0 });
        assert.equal((await limit.consume('ip-1')).remaining, 1);
        assert.equal((await limit.consume('ip-1')).allowed, true);
        const refused = await limit.consume('ip-1');
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, `retryAfterMs ${refused.retryAfterMs}`);
        assert.equal((await limit.consume('ip-2')).allowed, true, 'another key has its own budget');
        await limit.reset('ip-1');
        assert.deepEqual(await limit.consume('ip-1'), { allowed: true, remaining: 2, retryAfterMs: 0 });
      });

      test('consume can spend several points at once', async () => {
        const limit = state.limits.create('sms', { points: 5, durationS: 60 });
        assert.equal((await limit.consume('phone', 4)).remaining, 1);
        assert.equal((await limit.consume('phone', 2)).allowed, false);
      });

      // Known gap: MemoryRateLimits gives each create() its own RateLimiterMemory storage.
      test('two limits with the same name share one budget', async () => {
        const here = state.limits.create('shared', { points: 2, durationS: 60 });
        const there = peer.limits.create('shared', { points: 2, durationS: 60 });
        assert.equal((await here.consume('user-1')).allowed, true);
        assert.equal((await there.consume('user-1')).allowed, true);
        assert.equal((await here.consume('user-1')).allowed, false);
        assert.equal((await there.consume('user-1')).allowed, false);
        const other = state.limits.create('other-name', { points: 2, durationS: 60 });
        assert.equal((await other.consume('user-1')).allowed, true, 'another name has its own budget');
      });
    });

    describe('pub/sub', () => {
      test('delivers to every handler, also across handles', async () => {
        const first: string[] = [];
        const second: string[] = [];
        const stopFirst = await state.pubsub.subscribe('room', (m) => first.push(m));
        const stopSecond = await state.pubsub.subscribe('room', (m) => second.push(m));
        await peer.pubsub.publish('room', 'hello');
        await state.pubsub.publish('room', 'again');
        await eventually(() => first.length === 2 && second.length === 2, { what: 'both handlers' });
        assert.deepEqual(first, ['hello', 'again']);
        assert.deepEqual(second, ['hello', 'again']);
        await stopFirst();
        await stopSecond();
      });

      test('unsubscribe stops delivery to that handler only, then to the channel', async () => {
        const leaving: string[] = [];
        const staying: string[] = [];
        const stopLeaving = await state.pubsub.subscribe('news', (m) => leaving.push(m));
        const stopStaying = await state.pubsub.subscribe('news', (m) => staying.push(m));
        await stopLeaving();
        await stopLeaving();
        await state.pubsub.publish('news', 'one');
        await eventually(() => staying.length === 1, { what: 'the staying handler' });
        assert.deepEqual(leaving, []);
        await stopStaying();
        await state.pubsub.publish('news', 'two');
        await sleep(50); // real time: a delivery that should not come has had the chance to
        assert.deepEqual(staying, ['one']);
      });

      test('channels are isolated', async () => {
        const a: string[] = [];
        const b: string[] = [];
        const stopA = await state.pubsub.subscribe('chan-a', (m) => a.push(m));
        const stopB = await state.pubsub.subscribe('chan-b', (m) => b.push(m));
        await peer.pubsub.publish('chan-a', 'for a');
        await peer.pubsub.publish('chan-b', 'for b');
        await eventually(() => a.length === 1 && b.length === 1, { what: 'one message each' });
        assert.deepEqual(a, ['for a']);
        assert.deepEqual(b, ['for b']);
        await stopA();
        await stopB();
      });

      test('a throwing handler does not stop the others', async () => {
        const got: string[] = [];
        const stopBad = await state.pubsub.subscribe('fragile', () => {
          throw new Error('handler bug');
        });
        const stopGood = await state.pubsub.subscribe('fragile', (m) => got.push(m));
        await state.pubsub.publish('fragile', 'still here');
        await eventually(() => got.length === 1, { what: 'the good handler' });
        await stopBad();
        await stopGood();
      });
    });

    describe('presence', () => {
      test('a lease is exclusive; its holder may claim it again', async () => {
        assert.equal(await state.presence.claim('user:1', 'conn-a', 5000), true);
        assert.equal(await peer.presence.claim('user:1', 'conn-b', 5000), false);
        assert.equal(await state.presence.claim('user:1', 'conn-a', 5000), true);
        assert.equal(await peer.presence.holderOf('user:1'), 'conn-a');
        assert.equal(await state.presence.holderOf('user:nobody'), null);
      });

      test('an expired lease is free again', async () => {
        assert.equal(await state.presence.claim('user:2', 'conn-a', ms(60)), true);
        await wait(100);
        assert.equal(await state.presence.holderOf('user:2'), null);
        assert.equal(await peer.presence.claim('user:2', 'conn-b', 5000), true);
        assert.equal(await state.presence.holderOf('user:2'), 'conn-b');
      });

      test('only the holder refreshes, which extends the lease', async () => {
        await state.presence.claim('user:3', 'conn-a', ms(100));
        assert.equal(await peer.presence.refresh('user:3', 'conn-b', 5000), false);
        assert.equal(await state.presence.refresh('user:missing', 'conn-a', 5000), false);
        await wait(60);
        assert.equal(await state.presence.refresh('user:3', 'conn-a', ms(150)), true);
        await wait(70);
        assert.equal(await state.presence.holderOf('user:3'), 'conn-a', 'refresh extended the lease');
        await wait(120);
        assert.equal(await state.presence.holderOf('user:3'), null);
      });

      test('refreshMany extends the leases still held and leaves the rest alone', async () => {
        await state.presence.claim('many:1', 'conn-a', ms(600));
        await state.presence.claim('many:2', 'conn-a', ms(600));
        await state.presence.claim('many:3', 'conn-b', ms(600));
        await wait(150);
        const lost = await peer.presence.refreshMany(
          [
            { key: 'many:1', holder: 'conn-a' },
            { key: 'many:2', holder: 'conn-a' },
            { key: 'many:3', holder: 'conn-a' },
            { key: 'many:4', holder: 'conn-a' },
          ],
          5000,
        );
        assert.deepEqual(lost, ['many:3', 'many:4'], 'the keys not held are reported');
        assert.deepEqual(await state.presence.refreshMany([], 5000), []);
        await wait(600);
        assert.equal(await state.presence.holderOf('many:1'), 'conn-a');
        assert.equal(await state.presence.holderOf('many:2'), 'conn-a');
        assert.equal(await state.presence.holderOf('many:3'), null, 'not ours: not refreshed');
        assert.equal(await state.presence.holderOf('many:4'), null, 'absent: not created');
      });

      test('only the holder releases', async () => {
        await state.presence.claim('user:4', 'conn-a', 5000);
        assert.equal(await peer.presence.release('user:4', 'conn-b'), false);
        assert.equal(await state.presence.holderOf('user:4'), 'conn-a');
        assert.equal(await peer.presence.release('user:4', 'conn-a'), true);
        assert.equal(await state.presence.holderOf('user:4'), null);
        assert.equal(await state.presence.release('user:4', 'conn-a'), false);
        assert.equal(await peer.presence.claim('user:4', 'conn-b', 5000), true);
      });

      test('countSeen counts members within their TTL', async () => {
        assert.equal(await state.presence.countSeen('stream:1'), 0);
        await state.presence.markSeen('stream:1', 'viewer-a', ms(80));
        await peer.presence.markSeen('stream:1', 'viewer-b', 5000);
        await state.presence.markSeen('stream:1', 'viewer-b', 5000);
        await state.presence.markSeen('stream:2', 'viewer-c', 5000);
        assert.equal(await peer.presence.countSeen('stream:1'), 2);
        await wait(120);
        assert.equal(await state.presence.countSeen('stream:1'), 1);
        await state.presence.markSeen('stream:1', 'viewer-a', 5000);
        assert.equal(await state.presence.countSeen('stream:1'), 2, 'seen again after expiry');
        assert.equal(await state.presence.countSeen('stream:2'), 1);
      });

      test('a group whose members all expired counts zero', async () => {
        await state.presence.markSeen('stream:3', 'viewer-a', ms(60));
        await wait(100);
        assert.equal(await state.presence.countSeen('stream:3'), 0);
      });

      test('forget removes a member at once', async () => {
        await state.presence.markSeen('stream:4', 'viewer-a', 5000);
        await state.presence.markSeen('stream:4', 'viewer-b', 5000);
        await peer.presence.forget('stream:4', 'viewer-a');
        await state.presence.forget('stream:4', 'nobody');
        await state.presence.forget('stream:none', 'nobody');
        assert.equal(await state.presence.countSeen('stream:4'), 1);
      });
    });
  });
}
