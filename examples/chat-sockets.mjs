// Chat over the raw TCP socket and WebSocket: bob on TCP and carol on /ws see each
// other's messages. Run from the Stoa folder (it uses the `ws` package): node examples/chat-sockets.mjs
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

const STOA = process.env.STOA ?? 'http://127.0.0.1:5000';
const TCP_PORT = Number(process.env.STOA_TCP_PORT ?? 8889);

// TCP: send JSON objects, read one JSON object per line.
const tcp = connect(TCP_PORT, new URL(STOA).hostname);
const tcpLines = createInterface({ input: tcp })[Symbol.asyncIterator]();
const tcpAsk = async (request) => {
  tcp.write(JSON.stringify(request) + '\n');
  return tcpNext();
};
const tcpNext = async () => JSON.parse((await tcpLines.next()).value);
/** Prints a frame as it travelled. */
const show = (frame) => console.log(JSON.stringify(frame));

show(await tcpAsk({ type: 'register', username: 'bob', password: 'bob secret' }));
//> {"type":"register_1","error":false,"message":"User registered successfully"}
const bob = await tcpAsk({ type: 'login', username: 'bob', password: 'bob secret' });
show(bob);
//> {"type":"login","status":"success","message":"Login successful","token":"…","username":"bob","avatar":"/avatar/default/default_avatar.png"}

// WebSocket: one JSON object per text frame.
const ws = new WebSocket(STOA.replace(/^http/, 'ws') + '/ws');
const wsQueue = [];
let wsWaiting = null;
ws.on('message', (data) => {
  wsQueue.push(JSON.parse(data.toString()));
  wsWaiting?.();
});
const wsNext = async () => {
  while (wsQueue.length === 0) await new Promise((resolve) => (wsWaiting = resolve));
  return wsQueue.shift();
};
const wsAsk = async (request) => {
  ws.send(JSON.stringify(request));
  return wsNext();
};
await new Promise((resolve) => ws.once('open', resolve));

show(await wsAsk({ type: 'register', username: 'carol', password: 'carol secret' }));
//> {"type":"register_1","error":false,"message":"User registered successfully"}
const carol = await wsAsk({ type: 'login', username: 'carol', password: 'carol secret' });
show(carol.status);
//> "success"

// bob writes on TCP: both get the broadcast, bob also gets his answer.
tcp.write(JSON.stringify({ type: 'chat', token: bob.token, message: 'hi all' }) + '\n');
show(await tcpNext());
//> {"type":"chat","user":"bob","message":"hi all","avatar":"/avatar/default/default_avatar.png"}
show(await tcpNext());
//> {"type":"chat","status":"success"}
show(await wsNext());
//> {"type":"chat","user":"bob","message":"hi all","avatar":"/avatar/default/default_avatar.png"}

show(await tcpAsk({ type: 'heartbeat', token: bob.token }));
//> {"type":"heartbeat","status":"success"}
show(await tcpAsk({ type: 'chat', token: bob.token }));
//> {"type":"chat","status":"error","message":"Missing message"}
tcp.write('this is not JSON\n');
show(await tcpNext());
//> {"type":"error","status":"error","message":"Invalid JSON"}

tcp.end();
ws.close();
