import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../../test/support/clients.js';
import { dialects } from '../../../../test/support/stoa.js';
import { issueWebToken } from '../../../core/auth/web-session.js';
import { registerAccount } from '../../../core/users/accounts.js';
import { startAlertScene, type AlertScene } from './test-helpers.js';

const UNAUTHORIZED = { error: 'Unauthorized' };
const FORBIDDEN = { error: 'Forbidden' };
const DEFAULT_RULE = { name: 'cpu_high', field: 's_cpu', window_s: 60, threshold: 90, clear_threshold: 85, for_s: 0, repeat_s: 3600, enabled: true };

for (const dialect of await dialects()) {
  describe(`alert rules API (${dialect.name})`, { skip: dialect.skip }, () => {
    let scene: AlertScene;
    let admin: string;
    let viewer: string;
    const call = (method: string, headers: Record<string, string> = {}, body?: unknown, rawBody?: string) =>
      http(scene.srv.baseUrl, method, '/nfs/alert-rules', { headers, body, rawBody });
    const asAdmin = (body: unknown) => call('PUT', { authorization: `JWT ${admin}` }, body);
    const badRequest = async (body: unknown, error: string | RegExp) => {
      const res = await asAdmin(body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), ['error']);
      if (typeof error === 'string') assert.equal(res.body.error, error);
      else assert.match(res.body.error, error);
    };

    before(async () => {
      scene = await startAlertScene(dialect.name);
      const app = scene.app;
      const adminId = await registerAccount(app, { username: 'root', password: 'pw-123456' });
      const viewerId = await registerAccount(app, { username: 'viewer', password: 'pw-123456' });
      await app.db.updateTable('users').set({ access_level: 9 }).where('id', '=', adminId).execute();
      admin = await issueWebToken(app, adminId);
      viewer = await issueWebToken(app, viewerId);
    });
    after(async () => scene?.stop());

    test('GET: 401 without a valid token, the seeded rule with one (JWT or Bearer)', async () => {
      for (const headers of [{} as Record<string, string>, { authorization: 'JWT nope' }, { authorization: `Basic ${viewer}` }, { authorization: `JWT ${viewer}x` }, { authorization: `Basic ${Buffer.from('a\u0000:b').toString('base64')}` }]) {
        const res = await call('GET', headers);
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, UNAUTHORIZED);
      }
      for (const authorization of [`JWT ${viewer}`, `Bearer ${viewer}`, `JWT ${admin}`]) {
        const res = await call('GET', { authorization });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { data: [DEFAULT_RULE] });
      }
    });

    test('PUT: 401 without a token, 403 for a non-admin (even with a bad body)', async () => {
      const none = await call('PUT', {}, { name: 'cpu_high', threshold: 95 });
      assert.deepEqual([none.status, none.body], [401, UNAUTHORIZED]);
      const viewerPut = await call('PUT', { authorization: `Bearer ${viewer}` }, { name: 'cpu_high', threshold: 95 });
      assert.deepEqual([viewerPut.status, viewerPut.body], [403, FORBIDDEN]);
      const viewerJunk = await call('PUT', { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }, undefined, '{oops');
      assert.deepEqual([viewerJunk.status, viewerJunk.body], [403, FORBIDDEN]);
    });

    test('PUT: validation (400 {"error"}) and nothing written on failure', async () => {
      await badRequest({ name: 'cpu_high', field: 's_nope' }, /^field must be one of s_attemp, s_cpu/);
      await badRequest({ name: 'cpu_high', field: 's_nf' }, /^field must be one of/);
      await badRequest({ name: 'cpu_high', threshold: '95' }, 'threshold must be a number');
      await badRequest({ name: 'cpu_high', clear_threshold: 90 }, 'clear_threshold must be lower than threshold');
      await badRequest({ name: 'cpu_high', threshold: 80 }, 'clear_threshold must be lower than threshold');
      await badRequest({ name: 'cpu_high', window_s: 0 }, 'window_s must be a whole number from 1 to 86400');
      await badRequest({ name: 'cpu_high', window_s: 1.5 }, 'window_s must be a whole number from 1 to 86400');
      await badRequest({ name: 'cpu_high', for_s: -1 }, 'for_s must be a whole number from 0 to 86400');
      await badRequest({ name: 'cpu_high', repeat_s: null }, 'repeat_s must be a whole number from 0 to 2592000');
      await badRequest({ name: 'cpu_high', enabled: 'yes' }, 'enabled must be true or false');
      await badRequest({ name: 'cpu_high', colour: 'red' }, 'unknown rule property: colour');
      await badRequest({ threshold: 95 }, /^name must be/);
      await badRequest({ name: 'has space', field: 's_cpu', threshold: 1, clear_threshold: 0 }, /^name must be/);
      await badRequest({ name: 'disk_high', field: 's_disk', clear_threshold: 80 }, 'threshold is required for a new rule');
      await badRequest([], 'Body must hold at least one rule');
      await badRequest('cpu_high', 'each rule must be a JSON object');
      await badRequest([{ name: 'cpu_high', threshold: 95 }, { name: 'cpu_high', threshold: 96 }], 'rule cpu_high appears twice');
      await badRequest([{ name: 'cpu_high', threshold: 95 }, { name: 'disk_high', field: 's_disk' }], 'threshold is required for a new rule');
      const junk = await call('PUT', { authorization: `JWT ${admin}`, 'content-type': 'application/json' }, undefined, '{oops');
      assert.deepEqual([junk.status, junk.body], [400, { error: 'Body is not valid JSON' }]);
      const empty = await call('PUT', { authorization: `JWT ${admin}` });
      assert.deepEqual([empty.status, empty.body], [400, { error: 'Body must be a rule object or an array of rules' }]);
      const unchanged = await call('GET', { authorization: `JWT ${viewer}` });
      assert.deepEqual(unchanged.body, { data: [DEFAULT_RULE] });
    });

    test('PUT: one rule by name (partial), then an array creating a rule; GET shows both', async () => {
      const one = await asAdmin({ name: 'cpu_high', threshold: 95, clear_threshold: 88, for_s: 20 });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      const cpu = { ...DEFAULT_RULE, threshold: 95, clear_threshold: 88, for_s: 20 };
      assert.deepEqual(one.body, { data: [cpu] });
      const many = await asAdmin([
        { name: 'disk_high', field: 's_disk', threshold: 90.5, clear_threshold: 80, repeat_s: 0 },
        { name: 'cpu_high', enabled: false },
      ]);
      assert.equal(many.status, 200, JSON.stringify(many.body));
      const disk = { name: 'disk_high', field: 's_disk', window_s: 60, threshold: 90.5, clear_threshold: 80, for_s: 0, repeat_s: 0, enabled: true };
      assert.deepEqual(many.body, { data: [{ ...cpu, enabled: false }, disk] });
      const read = await call('GET', { authorization: `Bearer ${viewer}` });
      assert.deepEqual(read.body, many.body);
    });
  });
}
