// Monitor alerts over the WebSocket hub: subscribe to `alerts`, post a hot CPU sample,
// and the alert arrives within one evaluation (10 s). Run from the Stoa folder: node examples/monitor-alerts.mjs
import { WebSocket } from 'ws';

const STOA = process.env.STOA ?? 'http://127.0.0.1:5000';
/** Prints a frame as it travelled. */
const show = (frame) => console.log(JSON.stringify(frame));

// WebSocket: one JSON object per text frame.
const ws = new WebSocket(STOA.replace(/^http/, 'ws') + '/ws');
const queue = [];
let waiting = null;
ws.on('message', (data) => {
  queue.push(JSON.parse(data.toString()));
  waiting?.();
});
const next = async () => {
  while (queue.length === 0) await new Promise((resolve) => (waiting = resolve));
  return queue.shift();
};
await new Promise((resolve) => ws.once('open', resolve));

ws.send(JSON.stringify({ type: 'subscribe', topic: 'alerts' }));
show(await next());
//> {"type":"subscribed","topic":"alerts"}

// A sample as a log client posts it, with the CPU at 95 %, from an NF named for this run
// (a rule that is already firing for an NF does not fire again for an hour).
const nf = `upf-${process.pid}`;
const sample = {
  dt_infotime: new Date().toISOString().slice(0, 19).replace('T', ' '),
  s_attemp: 3, s_cpu: 95, s_disk: 61, s_diskin: 120, s_diskout: 80, s_error: 0, s_load: 4,
  s_loss: 0, s_memory: 55, s_nf: nf, s_size: 1024, s_system: 'linux', s_traffic: 300, s_transfer: 250,
};
const res = await fetch(`${STOA}/nfs/resource`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(sample),
});
show(await res.json());
//> {"message":"JSON received successfully"}

// The 60 s average is above 90, so the next evaluation fires the cpu_high rule for this NF.
show(await next());
//> {"topic":"alerts","type":"alert","message":"High CPU Usage","average_cpu":95,"s_nf":"upf-…","state":"firing","rule":"cpu_high","at":"…"}

ws.close();
