/**
 * The "durable reference" rows of bench/hot-path.ts: about the least a chat server can do
 * and still check a bearer token and keep every message durable. `node:http` and
 * better-sqlite3 (WAL, synchronous=FULL), one process, no framework. `GET /history` looks up
 * the token (SHA-256 hex) and answers the last 20 messages; `POST /chat` looks it up and
 * commits one INSERT before answering. Run as a child; prints `http listening on
 * http://HOST:PORT`. Environment: DATA_DIR (for reference.sqlite), REF_TOKENS (the bearer
 * tokens to accept, comma-separated; one user each), HOST, PORT (0 = any free port).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

const db = new Database(path.join(process.env.DATA_DIR ?? '.', 'reference.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, username TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, username TEXT NOT NULL, message TEXT NOT NULL, created_at INTEGER NOT NULL)`);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const addToken = db.prepare('INSERT OR REPLACE INTO tokens (hash, user_id, username, expires_at) VALUES (?, ?, ?, ?)');
const findToken = db.prepare<[string, number], { user_id: number; username: string }>('SELECT user_id, username FROM tokens WHERE hash = ? AND expires_at > ?');
const insert = db.prepare('INSERT INTO messages (user_id, username, message, created_at) VALUES (?, ?, ?, ?)');
const latest = db.prepare<[number], { id: number; username: string; message: string; created_at: number }>(
  'SELECT id, username, message, created_at FROM messages ORDER BY id DESC LIMIT ?',
);
(process.env.REF_TOKENS ?? '').split(',').filter(Boolean).forEach((token, i) => addToken.run(sha256(token), i + 1, `user${i + 1}`, Date.now() + 86_400_000));
for (let i = 0; i < 20; i++) insert.run(1, 'user1', `seed message ${i}`, Date.now());

function send(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const auth = req.headers.authorization ?? '';
  const user = auth === '' ? undefined : findToken.get(sha256(auth.replace(/^Bearer\s+/i, '')), Date.now());
  const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
  if (route === 'GET /history') {
    req.resume();
    if (!user) return send(res, 401, { type: 'history', status: 'error' });
    const messages = latest.all(20).reverse().map((m) => ({ id: m.id, user: m.username, message: m.message, at: new Date(m.created_at).toISOString() }));
    return send(res, 200, { type: 'history', status: 'success', messages });
  }
  if (route !== 'POST /chat') return (req.resume(), send(res, 404, { error: 'not found' }));
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (!user) return send(res, 401, { type: 'chat', status: 'error' });
    let message: unknown;
    try {
      message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown }).message;
    } catch {
      return send(res, 400, { type: 'chat', status: 'error', message: 'Body is not valid JSON' });
    }
    if (typeof message !== 'string' || message.length === 0 || message.length > 4096) return send(res, 400, { type: 'chat', status: 'error' });
    insert.run(user.user_id, user.username, message, Date.now()); // autocommit: durable (WAL fsync) before the answer
    send(res, 200, { type: 'chat', status: 'success' });
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`http listening on http://${address}:${port}`);
});
process.once('SIGTERM', () => server.close(() => (db.close(), process.exit(0))));
