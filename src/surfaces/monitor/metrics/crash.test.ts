import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import { sendJson, spawnServer } from '../../../../test/support/server-process.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../../../test/support/stoa.js';
import { sampleFor } from './test-helpers.js';

/** POSTs JSON; resolves with the status, or null when the connection died first. */
async function post(agent: http.Agent, baseUrl: string, path: string, body: unknown): Promise<number | null> {
  return (await sendJson(agent, `${baseUrl}${path}`, { body }))?.status ?? null;
}

/**
 * A batch of 500 samples of one NF: heavy enough that some are still being parsed or
 * committed when the kill lands (single samples alone are answered faster than this one
 * client sends them, so at any instant all of them may already be answered).
 */
function batchFor(id: string): Array<Record<string, unknown>> {
  return Array.from({ length: 500 }, (_, i) => sampleFor(id, { s_cpu: i }));
}

async function getStatus(baseUrl: string, path: string): Promise<number> {
  return (await fetch(baseUrl + path)).status;
}

for (const d of await dialects()) {
  describe(`metrics crash safety (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase | undefined;
    const children: ChildProcess[] = [];
    after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await db?.drop();
    });

    test('every sample acknowledged before SIGKILL is there after restart', async () => {
      db = await createTestDatabase(d.name);
      // Thousands of new NF names a second: the new-name cap is off for this test.
      const first = await spawnServer({ ...db.env, INGEST_NEW_NF_PER_MINUTE: '0' });
      children.push(first.child);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const acked: string[] = [];
      let next = 0;
      let killed = false;
      const total = 20_000;
      const worker = async () => {
        while (!killed && next < total) {
          const id = `crash-${next++}`;
          const kind = next % 10 === 0 ? 'batch' : 'single';
          const status =
            kind === 'single'
              ? await post(agent, first.baseUrl, '/nfs/resource', sampleFor(id))
              : await post(agent, first.baseUrl, '/nfs/resource/batch', batchFor(id));
          if (status === 200) acked.push(id);
          else if (status !== null) throw new Error(`unexpected status ${status}`);
        }
      };
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      const burst = Promise.all(Array.from({ length: 64 }, worker));
      // Kill once a good number of samples are in, while requests are still in flight.
      for (let i = 0; i < 600 && acked.length < 1500; i++) await new Promise((r) => setTimeout(r, 10));
      first.child.kill('SIGKILL');
      killed = true;
      await exited;
      await burst;
      agent.destroy();
      assert.ok(acked.length >= 100, `only ${acked.length} samples were acknowledged before the kill`);
      assert.ok(next > acked.length, 'the kill should interrupt requests in flight');

      const second = await spawnServer({ ...db.env, INGEST_NEW_NF_PER_MINUTE: '0' });
      children.push(second.child);
      const missing: string[] = [];
      for (let i = 0; i < acked.length; i += 50) {
        const statuses = await Promise.all(acked.slice(i, i + 50).map((id) => getStatus(second.baseUrl, `/nfs/resource?s_nf=${id}`)));
        statuses.forEach((s, j) => s !== 200 && missing.push(acked[i + j]!));
      }
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged samples are missing`);
      second.child.kill('SIGTERM');
    });
  });
}
