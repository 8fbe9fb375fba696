import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

/**
 * A local stand-in for Ronglian Cloud's template-SMS endpoint, speaking the real protocol:
 * it recomputes the signature from its own account sid and auth token and the timestamp in
 * the Authorization header, checks headers and body like the real service, and answers
 * with Ronglian-style bodies. Tests script each next answer and read what was delivered.
 */

/** Test-only credentials, invented here; nothing real. */
export const FAKE_RONGLIAN = {
  accountSid: 'testaccountsid0000000000000000aa',
  authToken: 'testauthtoken000000000000000bbbb',
  appId: 'testappid00000000000000000000cccc',
  templateId: '1',
} as const;

/** What the fake does with one request: answer a Ronglian status code, fail with HTTP 500, or never answer. */
export type FakeRonglianReply = '000000' | '160038' | '160040' | '111109' | 500 | 'hang';

/** One request that passed the protocol checks. */
export interface FakeRonglianRequest {
  phone: string;
  datas: string[];
  appId: string;
  templateId: string;
  timestamp: string;
  headers: http.IncomingHttpHeaders;
  reply: FakeRonglianReply;
  at: number;
}

/** A running fake; `baseUrl` goes into RONGLIAN_BASE_URL. */
export interface FakeRonglian {
  baseUrl: string;
  /** Every request that passed the checks, whatever it was answered. */
  requests: FakeRonglianRequest[];
  /** Messages answered 000000: the ones a phone would have received. */
  delivered: FakeRonglianRequest[];
  /** Requests refused by the protocol checks, with the status code they got. */
  rejected: Array<{ statusCode: string; statusMsg: string }>;
  /** Queues answers for the next requests, in order; afterwards every request gets 000000. */
  script(...replies: FakeRonglianReply[]): void;
  /** Resolves once `count` messages were delivered, or rejects after `timeoutMs`. */
  waitForDelivered(count: number, timeoutMs?: number): Promise<FakeRonglianRequest[]>;
  close(): Promise<void>;
}

const MESSAGES: Record<string, string> = {
  '000000': '',
  '160038': '短信验证码发送过频繁',
  '160040': '验证码超出同模板同号码天发送上限',
  '111101': '请求包头Authorization参数为空',
  '111102': '请求包头Authorization参数解码后格式有误',
  '111104': '请求包头Authorization参数中账户ID跟请求地址中的账户ID不一致',
  '111105': '请求包头Authorization参数中时间戳过期',
  '111108': '请求地址Sig参数为空',
  '111109': '请求地址Sig校验失败',
  '160031': '参数解析失败',
  '172006': '请求Content-Type或Accept有误',
};

function chinaTimestampToEpoch(ts: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(ts);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - 8 * 3600 * 1000;
}

/**
 * Starts the fake on 127.0.0.1 and a free port. `maxSkewMs` is how far the signed
 * timestamp (China time) may be from now; the real service is lenient (hours), the fake
 * defaults to 10 minutes so that a timestamp in the wrong time zone fails.
 */
export async function startFakeRonglian(options: { maxSkewMs?: number } = {}): Promise<FakeRonglian> {
  const maxSkewMs = options.maxSkewMs ?? 10 * 60 * 1000;
  const requests: FakeRonglianRequest[] = [];
  const delivered: FakeRonglianRequest[] = [];
  const rejected: FakeRonglian['rejected'] = [];
  const queue: FakeRonglianReply[] = [];
  const hanging = new Set<http.ServerResponse>();
  const waiters: Array<() => void> = [];

  const answer = (res: http.ServerResponse, statusCode: string, extra: object = {}) => {
    res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
    res.end(JSON.stringify({ statusCode, statusMsg: MESSAGES[statusCode] ?? 'error', ...extra }));
  };
  const refuse = (res: http.ServerResponse, statusCode: string) => {
    rejected.push({ statusCode, statusMsg: MESSAGES[statusCode] ?? 'error' });
    answer(res, statusCode);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const pathMatch = /^\/2013-12-26\/Accounts\/([^/]+)\/SMS\/TemplateSMS$/.exec(url.pathname);
      if (req.method !== 'POST' || !pathMatch) {
        res.writeHead(404).end();
        return;
      }
      const auth = req.headers.authorization;
      if (!auth) return refuse(res, '111101');
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const [sid, timestamp, ...rest] = decoded.split(':');
      const when = timestamp ? chinaTimestampToEpoch(timestamp) : null;
      if (!sid || when === null || rest.length > 0 || Buffer.from(decoded, 'utf8').toString('base64') !== auth) {
        return refuse(res, '111102');
      }
      if (sid !== FAKE_RONGLIAN.accountSid || pathMatch[1] !== FAKE_RONGLIAN.accountSid) return refuse(res, '111104');
      if (Math.abs(Date.now() - when) > maxSkewMs) return refuse(res, '111105');
      const sig = url.searchParams.get('sig');
      if (!sig) return refuse(res, '111108');
      const expected = createHash('md5').update(FAKE_RONGLIAN.accountSid + FAKE_RONGLIAN.authToken + timestamp!).digest('hex').toUpperCase();
      if (sig !== expected) return refuse(res, '111109');
      if (req.headers.accept !== 'application/json' || req.headers['content-type'] !== 'application/json;charset=utf-8') {
        return refuse(res, '172006');
      }
      let body: { to?: unknown; appId?: unknown; templateId?: unknown; datas?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return refuse(res, '160031');
      }
      const datas = body.datas;
      if (
        typeof body.to !== 'string' || body.appId !== FAKE_RONGLIAN.appId || body.templateId !== FAKE_RONGLIAN.templateId ||
        !Array.isArray(datas) || !datas.every((d) => typeof d === 'string')
      ) {
        return refuse(res, '160031');
      }
      const reply = queue.shift() ?? '000000';
      const record: FakeRonglianRequest = {
        phone: body.to, datas: datas as string[], appId: body.appId, templateId: body.templateId,
        timestamp: timestamp!, headers: req.headers, reply, at: Date.now(),
      };
      requests.push(record);
      if (reply === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (reply === 500) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error');
        return;
      }
      if (reply === '000000') {
        delivered.push(record);
        for (const wake of waiters.splice(0)) wake();
        return answer(res, '000000', { templateSMS: { dateCreated: timestamp, smsMessageSid: `fake${requests.length}` } });
      }
      return answer(res, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    delivered,
    rejected,
    script: (...replies) => void queue.push(...replies),
    waitForDelivered: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake ronglian: ${delivered.length}/${count} delivered after ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (delivered.length >= count) {
            clearTimeout(timer);
            resolve(delivered.slice());
          } else waiters.push(check);
        };
        check();
      }),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
