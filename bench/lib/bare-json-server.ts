/**
 * The "HTTP ceiling" row of bench/hot-path.ts: a bare `node:http` server that answers every
 * request with the same small JSON object (no routing, no auth, no storage). Run as a child
 * process; prints `http listening on http://HOST:PORT` and stops on SIGTERM.
 * Environment: HOST (default 127.0.0.1), PORT (default 0 = any free port).
 */
import http from 'node:http';

const body = JSON.stringify({ type: 'history', status: 'success', messages: [] });
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`http listening on http://${address}:${port}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
