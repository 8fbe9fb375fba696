import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { WsClient, http } from '../../../../test/support/clients.js';
import { eventually } from '../../../../test/support/eventually.js';
import { dialects } from '../../../../test/support/stoa.js';
import { evaluateAlerts } from './evaluator.js';
import { SmtpSink, sampleBody, startAlertScene, type AlertScene } from './test-helpers.js';

/** Collects `alert` events of one Socket.IO client; `next()` takes them in order, waiting if none is unread. */
function alertsOf(socket: Socket): { next(timeoutMs?: number): Promise<unknown>; all: unknown[] } {
  const all: unknown[] = [];
  const unread: unknown[] = [];
  const waiters: Array<(v: unknown) => void> = [];
  socket.on('alert', (payload: unknown) => {
    all.push(payload);
    const waiter = waiters.shift();
    if (waiter) waiter(payload);
    else unread.push(payload);
  });
  return {
    all,
    next: (timeoutMs = 5000) =>
      unread.length > 0
        ? Promise.resolve(unread.shift())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no alert event')), timeoutMs);
            waiters.push((v) => (clearTimeout(timer), resolve(v)));
          }),
  };
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

for (const dialect of await dialects()) {
  describe(`alerts end to end: HTTP samples -> Socket.IO, /ws and e-mail (${dialect.name})`, { skip: dialect.skip }, () => {
    let scene: AlertScene;
    let smtp: SmtpSink;
    const sockets: Socket[] = [];
    let ws: WsClient | undefined;

    before(async () => {
      smtp = await SmtpSink.start();
      scene = await startAlertScene(dialect.name, {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        ALERT_EMAILS: 'ops@example.com, oncall@example.com',
        MAIL_FROM: 'Stoa <stoa@example.com>',
      });
    });
    after(async () => {
      // Stopped with clients still connected: shutdown must neither wait for them nor linger.
      await scene?.stop();
      for (const socket of sockets) socket.disconnect();
      ws?.close();
      await smtp?.close();
    });

    test('a firing alert reaches a polling and a WebSocket Socket.IO client, a /ws subscriber and the mailbox', async () => {
      const { baseUrl } = scene.srv;
      const hubBefore = scene.app.hub.size;
      const polling = io(baseUrl, { reconnection: false, transports: ['polling'] });
      const upgraded = io(baseUrl, { reconnection: false, transports: ['websocket'] });
      sockets.push(polling, upgraded);
      await Promise.all([connected(polling), connected(upgraded)]);
      assert.equal(scene.app.hub.size, hubBefore + 2, 'each Socket.IO client is a hub connection');
      const pollingAlerts = alertsOf(polling);
      const upgradedAlerts = alertsOf(upgraded);

      ws = await WsClient.connect(scene.srv.wsUrl);
      assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'alerts' }), { type: 'subscribed', topic: 'alerts' });

      for (const cpu of ['92.1', 94.7]) {
        const res = await http(baseUrl, 'POST', '/nfs/resource', { body: sampleBody('amf', cpu) });
        assert.deepEqual([res.status, res.body], [200, { message: 'JSON received successfully' }]);
      }
      const notices = await evaluateAlerts(scene.app);
      assert.equal(notices.length, 1);

      const expected = {
        message: 'High CPU Usage',
        average_cpu: 93.4,
        s_nf: 'amf',
        state: 'firing',
        rule: 'cpu_high',
        at: new Date(scene.clock.now()).toISOString(),
      };
      for (const received of [await pollingAlerts.next(), await upgradedAlerts.next()]) {
        assert.equal(JSON.stringify(received), JSON.stringify(expected));
      }
      assert.equal(upgraded.io.engine.transport.name, 'websocket');
      assert.equal(polling.io.engine.transport.name, 'polling');
      const hubEvent = await ws.next((m) => m.topic === 'alerts');
      assert.deepEqual(hubEvent, { topic: 'alerts', type: 'alert', ...expected });

      const mail = await smtp.first();
      assert.deepEqual(mail.to.sort(), ['oncall@example.com', 'ops@example.com']);
      assert.equal(mail.from, 'stoa@example.com');
      assert.match(mail.raw, /^Subject: \[Stoa\] High CPU Usage on amf\r?$/m);
      assert.match(mail.raw, /average_cpu: 93\.4/);

      const history = await http(baseUrl, 'GET', '/nfs/alerts?s_nf=amf');
      assert.deepEqual(history.body.data.map((r: { state: string }) => r.state), ['firing']);
      assert.equal(pollingAlerts.all.length, 1);
    });

    test('resolving sends the resolved body the same ways', async () => {
      scene.clock.advance(61_000);
      const ok = await http(scene.srv.baseUrl, 'POST', '/nfs/resource', { body: sampleBody('amf', 40) });
      assert.equal(ok.status, 200);
      const socket = sockets[0]!;
      const next = alertsOf(socket).next();
      await evaluateAlerts(scene.app);
      assert.equal(
        JSON.stringify(await next),
        JSON.stringify({ message: 'CPU usage back to normal', average_cpu: 40, s_nf: 'amf', state: 'resolved', rule: 'cpu_high', at: new Date(scene.clock.now()).toISOString() }),
      );
      assert.equal((await ws!.next((m) => m.topic === 'alerts')).state, 'resolved');
      await eventually(() => smtp.mails.length >= 2, { what: 'the resolved mail' });
      assert.match(smtp.mails[1]!.raw, /^Subject: \[Stoa\] Resolved: CPU usage back to normal on amf\r?$/m);
    });

    test('other upgrade paths are still refused; Socket.IO polling answers without CORS headers', async () => {
      await assert.rejects(WsClient.connect(`${scene.srv.baseUrl.replace('http', 'ws')}/nope`));
      const res = await http(scene.srv.baseUrl, 'GET', '/socket.io/?EIO=4&transport=polling');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), null, 'CORS is off by default');
    });
  });
}
