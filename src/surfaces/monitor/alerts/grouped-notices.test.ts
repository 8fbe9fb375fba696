import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { WsClient, http } from '../../../../test/support/clients.js';
import { eventually } from '../../../../test/support/eventually.js';
import { dialects } from '../../../../test/support/stoa.js';
import { evaluateAlerts } from './evaluator.js';
import { saveAlertRule } from './repo.js';
import { SmtpSink, sampleBody, startAlertScene, type AlertScene } from './test-helpers.js';

const NFS = Array.from({ length: 40 }, (_, i) => `fake-nf-${String(i).padStart(2, '0')}`);

/** The Subject header, unfolded (long subjects are folded over lines). */
function subjectOf(raw: string): string {
  return /^Subject: (.*)$/m.exec(raw.replace(/\r?\n[ \t]+/g, ' '))![1]!.replace(/\r$/, '');
}

/** Time for a stray second event or mail to show up before we count. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

for (const dialect of await dialects()) {
  describe(`alerts of one evaluation are grouped; a firing NF repeats only every ALERT_GROUP_INTERVAL_S (${dialect.name})`, { skip: dialect.skip }, () => {
    let scene: AlertScene;
    let smtp: SmtpSink;
    let socket: Socket;
    let ws: WsClient;
    const events: any[] = [];

    /** Posts one batch with every NF at `cpu`, then evaluates; returns the notices. */
    async function feedAndEvaluate(cpu: number) {
      const res = await http(scene.srv.baseUrl, 'POST', '/nfs/resource/batch', { body: NFS.map((nf) => sampleBody(nf, cpu)) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return evaluateAlerts(scene.app);
    }

    before(async () => {
      smtp = await SmtpSink.start();
      scene = await startAlertScene(dialect.name, {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        ALERT_EMAILS: 'ops@example.com, oncall@example.com',
        MAIL_FROM: 'Stoa <stoa@example.com>',
        ALERT_GROUP_INTERVAL_S: '300',
        INGEST_NEW_NF_PER_MINUTE: '100',
      });
      // The rule asks for a reminder every minute; the group interval paces it to 5 minutes.
      await saveAlertRule(scene.app.db, { name: 'cpu_high', field: 's_cpu', window_s: 60, threshold: 90, clear_threshold: 85, for_s: 0, repeat_s: 60, enabled: true }, scene.clock.now());
      socket = io(scene.srv.baseUrl, { reconnection: false, transports: ['websocket'] });
      await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('connect_error', reject)));
      socket.on('alert', (payload: unknown) => events.push(payload));
      ws = await WsClient.connect(scene.srv.wsUrl);
      await ws.request({ type: 'subscribe', topic: 'alerts' });
    });
    after(async () => {
      socket?.disconnect();
      ws?.close();
      await scene?.stop();
      await smtp?.close();
    });

    test('40 NFs at 99 % CPU in one evaluation: one event listing 40 NFs, one e-mail', async () => {
      const notices = await feedAndEvaluate(99);
      assert.equal(notices.length, 40, 'each NF still has its own instance and history row');
      await eventually(() => events.length >= 1 && smtp.mails.length >= 1, { what: 'the grouped event and mail' });
      await settle();
      assert.equal(events.length, 1);
      const event = events[0];
      assert.deepEqual(
        Object.keys(event),
        ['message', 'average_cpu', 's_nf', 'state', 'rule', 'at', 'count', 'alerts'],
        'the single-alert keys first, then the group',
      );
      assert.equal(event.count, 40);
      assert.deepEqual(event.alerts.map((a: { s_nf: string }) => a.s_nf), NFS);
      assert.ok(event.alerts.every((a: { state: string; average_cpu: number }) => a.state === 'firing' && a.average_cpu === 99));
      const hubEvent = await ws.next((m) => m.topic === 'alerts');
      assert.equal(hubEvent.type, 'alert');
      assert.equal(hubEvent.alerts.length, 40);

      assert.equal(smtp.mails.length, 1);
      const mail = smtp.mails[0]!;
      assert.deepEqual(mail.to.sort(), ['oncall@example.com', 'ops@example.com']);
      assert.equal(subjectOf(mail.raw), '[Stoa] High CPU Usage on 40 NFs: fake-nf-00, fake-nf-01, fake-nf-02, fake-nf-03, fake-nf-04 and 35 more');
      for (const nf of NFS) assert.ok(mail.raw.includes(`${nf}: average_cpu: 99`), nf);
    });

    test('still firing: no repeat at the rule\'s 60 s, one grouped reminder once 300 s have passed', async () => {
      for (let minute = 1; minute <= 4; minute++) {
        scene.clock.advance(60_000);
        assert.deepEqual(await feedAndEvaluate(98), [], `minute ${minute}: nothing yet`);
      }
      scene.clock.advance(60_000);
      const reminders = await feedAndEvaluate(98);
      assert.equal(reminders.length, 40);
      assert.ok(reminders.every((n) => n.kind === 'reminder'));
      await eventually(() => events.length >= 2 && smtp.mails.length >= 2, { what: 'the grouped reminder' });
      await settle();
      assert.equal(events.length, 2);
      assert.equal(events[1].count, 40);
      assert.equal(smtp.mails.length, 2);
      assert.match(subjectOf(smtp.mails[1]!.raw), /^\[Stoa\] Still firing: High CPU Usage on 40 NFs: fake-nf-00,/);
    });

    test('resolved notices are grouped the same way; a single NF keeps the single-alert shape', async () => {
      scene.clock.advance(61_000);
      const res = await http(scene.srv.baseUrl, 'POST', '/nfs/resource/batch', { body: NFS.slice(1).map((nf) => sampleBody(nf, 10)) });
      assert.equal(res.status, 200);
      const resolved = await evaluateAlerts(scene.app);
      assert.equal(resolved.length, 39);
      await eventually(() => events.length >= 3 && smtp.mails.length >= 3, { what: 'the grouped resolved notice' });
      assert.equal(events[2].state, 'resolved');
      assert.equal(events[2].count, 39);
      assert.match(subjectOf(smtp.mails[2]!.raw), /^\[Stoa\] Resolved: CPU usage back to normal on 39 NFs: fake-nf-01,/);

      scene.clock.advance(61_000);
      await http(scene.srv.baseUrl, 'POST', '/nfs/resource', { body: sampleBody(NFS[0]!, 10) });
      assert.equal((await evaluateAlerts(scene.app)).length, 1);
      await eventually(() => events.length >= 4 && smtp.mails.length >= 4, { what: 'the single resolved notice' });
      await settle();
      assert.equal(
        JSON.stringify(events[3]),
        JSON.stringify({ message: 'CPU usage back to normal', average_cpu: 10, s_nf: NFS[0], state: 'resolved', rule: 'cpu_high', at: new Date(scene.clock.now()).toISOString() }),
      );
      assert.equal(subjectOf(smtp.mails[3]!.raw), '[Stoa] Resolved: CPU usage back to normal on fake-nf-00');
      assert.equal(events.length, 4);
      assert.equal(smtp.mails.length, 4);
    });
  });
}

for (const dialect of await dialects()) {
  describe(`ALERT_GROUP_WAIT_S holds a new group so later NFs join it (${dialect.name})`, { skip: dialect.skip }, () => {
    let scene: AlertScene;
    let smtp: SmtpSink;
    let ws: WsClient;

    before(async () => {
      smtp = await SmtpSink.start();
      scene = await startAlertScene(dialect.name, {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        ALERT_EMAILS: 'ops@example.com',
        ALERT_GROUP_WAIT_S: '10',
        INGEST_NEW_NF_PER_MINUTE: '100',
      });
      ws = await WsClient.connect(scene.srv.wsUrl);
      await ws.request({ type: 'subscribe', topic: 'alerts' });
    });
    after(async () => {
      ws?.close();
      await scene?.stop();
      await smtp?.close();
    });

    test('20 NFs, then 20 more 5 s later: nothing until 10 s, then one event and one e-mail for all 40', async () => {
      const feed = (nfs: string[]) => http(scene.srv.baseUrl, 'POST', '/nfs/resource/batch', { body: nfs.map((nf) => sampleBody(nf, 99)) });
      assert.equal((await feed(NFS.slice(0, 20))).status, 200);
      assert.equal((await evaluateAlerts(scene.app)).length, 20);
      scene.clock.advance(5_000);
      assert.equal((await feed(NFS.slice(20))).status, 200);
      assert.equal((await evaluateAlerts(scene.app)).length, 20);
      await settle();
      assert.equal(smtp.mails.length, 0, 'held during the wait');
      scene.clock.advance(5_000);
      assert.deepEqual(await evaluateAlerts(scene.app), [], 'no new notices; the held group goes out');
      const event = await ws.next((m) => m.topic === 'alerts');
      assert.equal(event.count, 40);
      assert.deepEqual(event.alerts.map((a: { s_nf: string }) => a.s_nf), NFS);
      await eventually(() => smtp.mails.length >= 1, { what: 'the grouped mail' });
      await settle();
      assert.equal(smtp.mails.length, 1);
      assert.match(subjectOf(smtp.mails[0]!.raw), /^\[Stoa\] High CPU Usage on 40 NFs: /);
    });
  });
}
