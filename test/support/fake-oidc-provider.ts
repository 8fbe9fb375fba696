import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Test helper, not a test file: a local OpenID provider speaking the real protocol over HTTP. */

/** How the next token response misbehaves. */
export type ProviderMode = 'ok' | 'bad_signature' | 'wrong_audience' | 'expired' | 'unverified_email' | 'token_error';

/** Who the provider says is logging in. */
export interface FakeAccount {
  sub: string;
  email: string;
  email_verified?: boolean;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
}

/** A running fake provider: its issuer URL, knobs, and what it saw. */
export interface FakeOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  mode: ProviderMode;
  account: FakeAccount;
  /** Query parameters of every authorization request received. */
  authorizeRequests: URLSearchParams[];
  /** Form bodies of every token request received. */
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the provider on 127.0.0.1:0 with its own RS256 key (and a second, unpublished one for forgeries). */
export async function startFakeOidcProvider(options: { clientId?: string; clientSecret?: string } = {}): Promise<FakeOidcProvider> {
  const signing = await generateKeyPair('RS256');
  const forger = await generateKeyPair('RS256');
  const kid = 'fake-key-1';
  const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  let issuer = '';

  const provider: FakeOidcProvider = {
    issuer: '',
    clientId: options.clientId ?? 'stoa-test-client',
    clientSecret: options.clientSecret ?? 'stoa-test-secret',
    mode: 'ok',
    account: { sub: 'google-sub-1', email: 'alice@example.com', email_verified: true },
    authorizeRequests: [],
    tokenRequests: [],
    close: async () => {},
  };

  async function idToken(code: PendingCode): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { mode, account } = provider;
    const key: CryptoKey = mode === 'bad_signature' ? forger.privateKey : signing.privateKey;
    const claims: Record<string, unknown> = { email: account.email, email_verified: mode === 'unverified_email' ? false : account.email_verified ?? true };
    if (code.nonce) claims.nonce = code.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(account.sub)
      .setAudience(mode === 'wrong_audience' ? 'someone-else' : code.clientId)
      .setIssuedAt(mode === 'expired' ? now - 3600 : now)
      .setExpirationTime(mode === 'expired' ? now - 1800 : now + 600)
      .sign(key);
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [publicJwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      provider.authorizeRequests.push(q);
      const redirect = new URL(q.get('redirect_uri') ?? '');
      const code = randomBytes(16).toString('hex');
      codes.set(code, {
        clientId: q.get('client_id') ?? '',
        redirectUri: q.get('redirect_uri') ?? '',
        challenge: q.get('code_challenge') ?? '',
        nonce: q.get('nonce') ?? undefined,
      });
      redirect.searchParams.set('code', code);
      redirect.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: redirect.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      provider.tokenRequests.push(form);
      const basic = (req.headers.authorization ?? '').replace(/^Basic /, '');
      const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
      const clientId = form.get('client_id') ?? basicId;
      const secret = form.get('client_secret') ?? basicSecret;
      if (clientId !== provider.clientId || secret !== provider.clientSecret) return json(401, { error: 'invalid_client' });
      const pending = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (provider.mode === 'token_error' || !pending || pending.redirectUri !== form.get('redirect_uri') || pending.challenge !== challenge) {
        return json(400, { error: 'invalid_grant', error_description: 'code, redirect_uri or PKCE verifier mismatch' });
      }
      return json(200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 3600, id_token: await idToken(pending) });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.issuer = issuer;
  provider.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return provider;
}
