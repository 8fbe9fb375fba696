import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import { SampleWriter } from './writer.js';

/** `count` fake encoded rows whose first column is `tag`. */
const rows = (tag: string, count = 1): EncodedRows => Array.from({ length: count * ROW_WIDTH }, (_, i) => (i % ROW_WIDTH === 0 ? tag : 0));
const tags = (groups: EncodedRows[]) => groups.flatMap((g) => g.filter((_, i) => i % ROW_WIDTH === 0));

/** A commit that holds every group until `open()`, recording each group and how many ran at once. */
function gatedCommit() {
  const groups: string[][] = [];
  const gates: Array<() => void> = [];
  let opened = false;
  let running = 0;
  let mostAtOnce = 0;
  const commit = async (g: EncodedRows[]) => {
    groups.push(tags(g) as string[]);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    if (!opened) await new Promise<void>((resolve) => gates.push(resolve));
    running--;
    if (tags(g).includes('bad')) throw new Error('commit failed');
  };
  const open = () => {
    opened = true;
    gates.splice(0).forEach((release) => release());
  };
  return { commit, groups, open, mostAtOnce: () => mostAtOnce };
}

test('writes arriving while a group commits form the next group; every write resolves after its own commit', async () => {
  const c = gatedCommit();
  const writer = new SampleWriter(c.commit, { maxRows: 100, maxDelayMs: 0, maxInFlight: 1 });
  const first = writer.write(rows('a'));
  await new Promise((resolve) => setImmediate(resolve));
  const later = [writer.write(rows('b')), writer.write(rows('c', 2))];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(c.groups, [['a']], 'b and c wait while a commits');
  const drained = writer.drain();
  c.open();
  await Promise.all([first, ...later, drained]);
  assert.deepEqual(c.groups, [['a'], ['b', 'c', 'c']]);
  assert.equal(c.mostAtOnce(), 1);
});

test('a failed commit rejects every write of its group and only those', async () => {
  const c = gatedCommit();
  const writer = new SampleWriter(c.commit, { maxRows: 100, maxDelayMs: 0, maxInFlight: 1 });
  const first = writer.write(rows('ok'));
  await new Promise((resolve) => setImmediate(resolve));
  const doomed = [writer.write(rows('bad')), writer.write(rows('with-bad'))];
  const outcomes = Promise.allSettled([first, ...doomed]);
  c.open();
  assert.deepEqual((await outcomes).map((o) => o.status), ['fulfilled', 'rejected', 'rejected']);
});

test('maxRows splits a queue into groups, and maxInFlight lets that many commit at once', async () => {
  const c = gatedCommit();
  const writer = new SampleWriter(c.commit, { maxRows: 2, maxDelayMs: 0, maxInFlight: 2 });
  const writes = ['a', 'b', 'c', 'd', 'e'].map((t) => writer.write(rows(t)));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(c.mostAtOnce(), 2);
  const drained = writer.drain();
  c.open();
  await Promise.all([...writes, drained]);
  assert.deepEqual(c.groups, [['a', 'b'], ['c', 'd'], ['e']]);
});
