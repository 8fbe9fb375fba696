import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from './eventually.js';

test('resolves with the first truthy value the check returns', async () => {
  let tries = 0;
  const found = await eventually(() => (++tries < 3 ? undefined : { tries }), { intervalMs: 1 });
  assert.deepEqual(found, { tries: 3 });
});

test('a check that throws or rejects is tried again', async () => {
  let tries = 0;
  const value = await eventually(
    async () => {
      if (++tries < 3) throw new Error('not yet');
      return 'ready';
    },
    { intervalMs: 1 },
  );
  assert.equal(value, 'ready');
  assert.equal(tries, 3);
});

test('gives up after the timeout, naming what it waited for and the last error', async () => {
  const cause = new Error('queue still empty');
  await assert.rejects(
    eventually(() => assert.fail(cause), { timeoutMs: 30, intervalMs: 5, what: 'the mail' }),
    (err: Error) => {
      assert.equal(err.message, 'timed out after 30 ms waiting for the mail; last error: queue still empty');
      assert.equal(err.cause, cause);
      return true;
    },
  );
  await assert.rejects(eventually(() => false, { timeoutMs: 20, what: 'a flag' }), /^Error: timed out after 20 ms waiting for a flag$/);
});
