import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../../test/support/clients.js';
import { dialects } from '../../../../test/support/stoa.js';
import { evaluateAlerts } from './evaluator.js';
import { instancesOfRule } from './repo.js';
import { nextAlertStep, type AlertRule } from './rules.js';
import { updateAlertRules } from './service.js';
import { feedSample, startAlertScene, type AlertScene } from './test-helpers.js';

const S = 1000;
const CPU_HIGH: AlertRule = { name: 'cpu_high', field: 's_cpu', window_s: 60, threshold: 90, clear_threshold: 85, for_s: 0, repeat_s: 3600, enabled: true };

describe('alert state machine (pure)', () => {
  const firing = { state: 'firing' as const, since: 0, last_notified_at: 0 };
  const cases: Array<[string, AlertRule, Parameters<typeof nextAlertStep>[1], number | null, number, string]> = [
    ['ok and below: nothing', CPU_HIGH, undefined, 89.9, 0, 'none'],
    ['ok, exactly at threshold: nothing (above means above)', CPU_HIGH, undefined, 90, 0, 'none'],
    ['ok and above, for 0: fire', CPU_HIGH, undefined, 90.1, 0, 'fire'],
    ['ok and above, for 30: pending', { ...CPU_HIGH, for_s: 30 }, undefined, 95, 0, 'start-pending'],
    ['pending 29 s: still pending', { ...CPU_HIGH, for_s: 30 }, { state: 'pending', since: 0, last_notified_at: null }, 95, 29 * S, 'none'],
    ['pending 30 s: fire', { ...CPU_HIGH, for_s: 30 }, { state: 'pending', since: 0, last_notified_at: null }, 95, 30 * S, 'fire'],
    ['pending, drops below: dropped', { ...CPU_HIGH, for_s: 30 }, { state: 'pending', since: 0, last_notified_at: null }, 89, 10 * S, 'drop-pending'],
    ['pending, no data: dropped', { ...CPU_HIGH, for_s: 30 }, { state: 'pending', since: 0, last_notified_at: null }, null, 10 * S, 'drop-pending'],
    ['firing at 88 (between clear and threshold): keeps firing', CPU_HIGH, firing, 88, 10 * S, 'none'],
    ['firing at exactly 85: keeps firing', CPU_HIGH, firing, 85, 10 * S, 'none'],
    ['firing at 84: resolve', CPU_HIGH, firing, 84, 10 * S, 'resolve'],
    ['firing, no data: unchanged', CPU_HIGH, firing, null, 7200 * S, 'none'],
    ['firing 3599 s: no reminder yet', CPU_HIGH, firing, 95, 3599 * S, 'none'],
    ['firing 3600 s: reminder', CPU_HIGH, firing, 95, 3600 * S, 'remind'],
    ['firing, repeat 0: never a reminder', { ...CPU_HIGH, repeat_s: 0 }, firing, 95, 99_999 * S, 'none'],
  ];
  for (const [name, rule, current, average, now, expected] of cases) {
    test(name, () => assert.equal(nextAlertStep(rule, current, average, now), expected));
  }
});

for (const dialect of await dialects()) {
  describe(`alert evaluation (${dialect.name})`, { skip: dialect.skip }, () => {
    let scene: AlertScene;
    const iso = () => new Date(scene.clock.now()).toISOString();
    const evaluate = () => evaluateAlerts(scene.app);
    const later = (s: number) => scene.clock.advance(s * S);

    before(async () => {
      scene = await startAlertScene(dialect.name);
    });
    after(async () => scene?.stop());

    test('fires once with the exact body, holds at 88, resolves at 84', async () => {
      await feedSample(scene, 'amf', { s_cpu: 92.1 });
      await feedSample(scene, 'amf', { s_cpu: 94.7 });
      await feedSample(scene, 'ausf', { s_cpu: 50 });
      const fired = await evaluate();
      assert.equal(fired.length, 1);
      assert.equal(fired[0]!.kind, 'firing');
      assert.equal(
        JSON.stringify(fired[0]!.body),
        JSON.stringify({ message: 'High CPU Usage', average_cpu: 93.4, s_nf: 'amf', state: 'firing', rule: 'cpu_high', at: iso() }),
      );
      assert.deepEqual(await evaluate(), [], 'no duplicate while firing');
      later(61);
      await feedSample(scene, 'amf', { s_cpu: 88 });
      assert.deepEqual(await evaluate(), [], '88 is above the clear threshold: still firing');
      later(61);
      await feedSample(scene, 'amf', { s_cpu: 84 });
      const resolved = await evaluate();
      assert.equal(resolved.length, 1);
      assert.equal(
        JSON.stringify(resolved[0]!.body),
        JSON.stringify({ message: 'CPU usage back to normal', average_cpu: 84, s_nf: 'amf', state: 'resolved', rule: 'cpu_high', at: iso() }),
      );
      assert.deepEqual(await evaluate(), []);
      assert.equal((await instancesOfRule(scene.app.db, 'cpu_high')).size, 0);
    });

    test('the window is the last 60 s: older samples do not count', async () => {
      await feedSample(scene, 'nssf', { s_cpu: 99 });
      later(60);
      await feedSample(scene, 'nssf', { s_cpu: 80 });
      assert.deepEqual(await evaluate(), [], 'the 99 sample is exactly 60 s old: out of the window');
    });

    test('a reminder after repeat (3600 s), then none until the next period; no data changes nothing', async () => {
      later(3600);
      await feedSample(scene, 'smf', { s_cpu: 95 });
      assert.equal((await evaluate()).length, 1);
      later(3599);
      await feedSample(scene, 'smf', { s_cpu: 96 });
      assert.deepEqual(await evaluate(), []);
      later(1);
      const reminder = await evaluate();
      assert.equal(reminder.length, 1);
      assert.equal(reminder[0]!.kind, 'reminder');
      assert.equal(reminder[0]!.body.state, 'firing');
      assert.equal(reminder[0]!.body.average_cpu, 96);
      assert.deepEqual(await evaluate(), []);
      later(7200);
      assert.deepEqual(await evaluate(), [], 'no samples: neither resolved nor reminded');
      assert.equal((await instancesOfRule(scene.app.db, 'cpu_high')).get('smf')?.state, 'firing');
    });

    test('a restart does not re-fire a firing alert', async () => {
      await feedSample(scene, 'nef', { s_cpu: 97 });
      assert.deepEqual((await evaluate()).map((n) => [n.kind, n.body.s_nf]), [['firing', 'nef']]);
      await scene.restart();
      assert.deepEqual(await evaluate(), []);
    });

    test('for_s: pending first, a dip drops it, firing once the condition has held that long', async () => {
      await updateAlertRules(scene.app, { name: 'mem_high', field: 's_memory', threshold: 80, clear_threshold: 70, for_s: 30 });
      await feedSample(scene, 'upf', { s_memory: 90 });
      await feedSample(scene, 'nrf', { s_memory: 90 });
      assert.deepEqual(await evaluate(), []);
      const pending = await instancesOfRule(scene.app.db, 'mem_high');
      assert.deepEqual([pending.get('upf')?.state, pending.get('nrf')?.state], ['pending', 'pending']);
      later(20);
      await feedSample(scene, 'nrf', { s_memory: 50 });
      assert.deepEqual(await evaluate(), [], 'upf pending for 20 s of 30');
      assert.equal((await instancesOfRule(scene.app.db, 'mem_high')).has('nrf'), false, 'nrf dipped: pending dropped');
      later(10);
      const fired = await evaluate();
      assert.equal(
        JSON.stringify(fired.map((n) => n.body)),
        JSON.stringify([{ message: 'High Memory Usage', average_memory: 90, s_nf: 'upf', state: 'firing', rule: 'mem_high', at: iso() }]),
      );
    });

    test('a disabled rule is not evaluated', async () => {
      await updateAlertRules(scene.app, { name: 'cpu_high', enabled: false });
      later(61);
      await feedSample(scene, 'smsf', { s_cpu: 99 });
      assert.deepEqual(await evaluate(), []);
      await updateAlertRules(scene.app, { name: 'cpu_high', enabled: true });
      assert.equal((await evaluate()).length, 1);
    });

    test('GET /nfs/alerts: newest first, by NF, limit', async () => {
      const all = await http(scene.srv.baseUrl, 'GET', '/nfs/alerts');
      assert.equal(all.status, 200);
      const ids = all.body.data.map((r: { id: number }) => r.id);
      assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a));
      assert.equal(all.body.data.length, 7);
      const amf = await http(scene.srv.baseUrl, 'GET', '/nfs/alerts?s_nf=amf');
      assert.deepEqual(
        amf.body.data.map((r: Record<string, unknown>) => [r.state, r.message, r.average_cpu, r.reminder]),
        [
          ['resolved', 'CPU usage back to normal', 84, false],
          ['firing', 'High CPU Usage', 93.4, false],
        ],
      );
      assert.deepEqual(Object.keys(amf.body.data[0]), ['id', 'message', 'average_cpu', 's_nf', 'state', 'rule', 'at', 'reminder']);
      const smf = await http(scene.srv.baseUrl, 'GET', '/nfs/alerts?s_nf=smf&limit=1');
      assert.equal(smf.body.data.length, 1);
      assert.equal(smf.body.data[0].reminder, true);
      for (const bad of ['0', '501', 'abc', '1.5', '-1']) {
        const res = await http(scene.srv.baseUrl, 'GET', `/nfs/alerts?limit=${bad}`);
        assert.equal(res.status, 400, bad);
        assert.deepEqual(res.body, { error: 'limit must be a whole number from 1 to 500' });
      }
      assert.equal((await http(scene.srv.baseUrl, 'GET', '/nfs/alerts?limit=500')).status, 200);
      assert.deepEqual((await http(scene.srv.baseUrl, 'GET', '/nfs/alerts?s_nf=nobody')).body, { data: [] });
      const twice = await http(scene.srv.baseUrl, 'GET', '/nfs/alerts?s_nf=amf&s_nf=smf');
      assert.deepEqual([twice.status, twice.body], [400, { error: 's_nf may be given only once' }]);
    });
  });
}
