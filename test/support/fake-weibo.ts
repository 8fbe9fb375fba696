import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A local stand-in for Weibo's OAuth 2 endpoints, speaking the real protocol:
 * `GET /oauth2/authorize` redirects to the registered redirect URI with `code` and the
 * caller's `state`; `POST /oauth2/access_token` (form-encoded) checks client, secret,
 * grant type, redirect URI and a one-time code, and answers Weibo's body, which has
 * no `token_type`. Tests say which Weibo user the next authorization logs in as.
 */

/** Test-only client credentials, invented here; nothing real. */
export const FAKE_WEIBO = {
  clientId: '1000000001',
  clientSecret: 'testweibosecret00000000000000dd',
  redirectUri: 'http://127.0.0.1:7000/dadashop/templates/callback.html',
} as const;

/** A running fake; its URLs go into WEIBO_AUTHORIZE_URL and WEIBO_TOKEN_URL. */
export interface FakeWeibo {
  authorizeUrl: string;
  tokenUrl: string;
  /** The Weibo uid the next authorizations log in as. */
  loginAs(uid: string): void;
  /** Makes the next token exchange fail with this HTTP status and Weibo's error body. */
  failNextExchange(status: number): void;
  /** Form bodies of every token exchange, as received. */
  exchanges: Array<Record<string, string>>;
  /** Env entries that point a server at this fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeWeibo(): Promise<FakeWeibo> {
  let uid = '7320797200';
  const codes = new Map<string, string>();
  const failures: number[] = [];
  const exchanges: Array<Record<string, string>> = [];
  const json = (res: http.ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(body));
  };
  const weiboError = (res: http.ServerResponse, status: number, code: number, error: string) =>
    json(res, status, { error, error_code: code, request: '/oauth2/access_token', error_uri: '/oauth2/access_token' });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'GET' && url.pathname === '/oauth2/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== FAKE_WEIBO.clientId) return weiboError(res, 400, 21323, 'invalid_client');
        if (q.get('redirect_uri') !== FAKE_WEIBO.redirectUri || q.get('response_type') !== 'code') {
          return weiboError(res, 400, 21322, 'redirect_uri_mismatch');
        }
        const code = randomBytes(12).toString('hex');
        codes.set(code, uid);
        const target = new URL(FAKE_WEIBO.redirectUri);
        target.searchParams.set('code', code);
        if (q.get('state') !== null) target.searchParams.set('state', q.get('state')!);
        res.writeHead(302, { Location: target.toString() }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/oauth2/access_token') {
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
          return weiboError(res, 400, 21323, 'invalid_request');
        }
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        exchanges.push(form);
        const failure = failures.shift();
        if (failure !== undefined) return weiboError(res, failure, 21327, 'expired_token');
        if (form.client_id !== FAKE_WEIBO.clientId || form.client_secret !== FAKE_WEIBO.clientSecret) {
          return weiboError(res, 400, 21323, 'invalid_client');
        }
        if (form.grant_type !== 'authorization_code') return weiboError(res, 400, 21328, 'unsupported_grant_type');
        if (form.redirect_uri !== FAKE_WEIBO.redirectUri) return weiboError(res, 400, 21322, 'redirect_uri_mismatch');
        const who = form.code ? codes.get(form.code) : undefined;
        if (!who) return weiboError(res, 400, 21325, 'invalid_grant');
        codes.delete(form.code!);
        return json(res, 200, {
          access_token: `2.00${randomBytes(12).toString('hex')}`,
          remind_in: '157679999',
          expires_in: 157679999,
          uid: who,
          isRealName: 'true',
        });
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authorizeUrl = `${base}/oauth2/authorize`;
  const tokenUrl = `${base}/oauth2/access_token`;
  return {
    authorizeUrl,
    tokenUrl,
    exchanges,
    loginAs: (next) => void (uid = next),
    failNextExchange: (status) => void failures.push(status),
    env: {
      WEIBO_CLIENT_ID: FAKE_WEIBO.clientId,
      WEIBO_CLIENT_SECRET: FAKE_WEIBO.clientSecret,
      WEIBO_REDIRECT_URI: FAKE_WEIBO.redirectUri,
      WEIBO_AUTHORIZE_URL: authorizeUrl,
      WEIBO_TOKEN_URL: tokenUrl,
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
