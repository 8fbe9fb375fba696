import * as oidc from 'openid-client';
import type { App } from '../../core/app.js';

/**
 * Google (OpenID Connect) login as an authorization-code flow with PKCE, state and nonce.
 * openid-client checks iss, aud, exp, nonce and PKCE; it verifies the ID token's signature
 * against the provider's JWKS only with `enableNonRepudiationChecks`, which is switched on.
 */

/** A failed Google login; `message` is safe to send as `{"error": ...}`. */
export class GoogleLoginError extends Error {
  constructor(message: string, readonly causeDetail?: unknown) {
    super(message);
    this.name = 'GoogleLoginError';
  }
}

/** How long a started login may take before its state is forgotten. */
const STATE_TTL_MS = 10 * 60 * 1000;
const stateKey = (state: string) => `google-oidc:${state}`;

/** Discovery results per process, keyed by issuer and client; a failed discovery is retried next time. */
const discoveries = new Map<string, Promise<oidc.Configuration>>();

type GoogleSettings = { issuer: string; clientId: string; clientSecret: string; redirectUri: string };

/** The Google settings when client id, secret and redirect URI are all set; otherwise null (login off). */
export function googleSettings(app: App): GoogleSettings | null {
  const { clientId, clientSecret, redirectUri, issuer } = app.config.accounts.google;
  return clientId && clientSecret && redirectUri ? { issuer, clientId, clientSecret, redirectUri } : null;
}

function configuration(settings: GoogleSettings): Promise<oidc.Configuration> {
  const key = `${settings.issuer}|${settings.clientId}|${settings.clientSecret}`;
  let pending = discoveries.get(key);
  if (!pending) {
    // Plain http is only for a local test issuer; a real one is https and stays TLS-only.
    const insecure = new URL(settings.issuer).protocol === 'http:';
    pending = oidc
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      })
      .then((config) => {
        oidc.enableNonRepudiationChecks(config);
        return config;
      });
    pending.catch(() => discoveries.delete(key));
    discoveries.set(key, pending);
  }
  return pending.catch((err) => {
    throw new GoogleLoginError('OpenID discovery failed', err);
  });
}

/** Starts a login: remembers state -> PKCE verifier and nonce (one use, 10 min) and returns the provider URL. */
export async function beginGoogleLogin(app: App, settings: GoogleSettings): Promise<string> {
  const config = await configuration(settings);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  await app.state.kv.set(stateKey(state), JSON.stringify({ verifier, nonce }), STATE_TTL_MS);
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: settings.redirectUri,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).href;
}

/** The claims of a verified Google login that Stoa uses. */
export interface GoogleIdentity {
  sub: string;
  email: string;
  /** Always true here: a login whose e-mail the provider has not verified is refused. */
  emailVerified: boolean;
}

const printable = (value: string) => value.replace(/[^\w .:()-]/g, '').slice(0, 100);

/**
 * Finishes a login from the callback's query: checks and spends the state, exchanges the
 * code, verifies the ID token and requires a verified e-mail. Every failure is a
 * GoogleLoginError naming what failed.
 */
export async function finishGoogleLogin(app: App, settings: GoogleSettings, query: Record<string, unknown>): Promise<GoogleIdentity> {
  const param = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : null);
  const providerError = param('error');
  if (providerError) throw new GoogleLoginError(`provider returned an error: ${printable(providerError)}`);
  const state = param('state');
  const code = param('code');
  if (!state) throw new GoogleLoginError('missing state');
  if (!code) throw new GoogleLoginError('missing code');
  const stored = await app.state.kv.take(stateKey(state));
  if (!stored) throw new GoogleLoginError('invalid or expired state');
  const { verifier, nonce } = JSON.parse(stored) as { verifier: string; nonce: string };
  const config = await configuration(settings);

  const callbackUrl = new URL(settings.redirectUri);
  for (const name of ['code', 'state', 'iss']) {
    const value = param(name);
    if (value !== null) callbackUrl.searchParams.set(name, value);
  }
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    throw new GoogleLoginError(describeGrantFailure(err), err);
  }
  const claims = tokens.claims();
  if (!claims) throw new GoogleLoginError('no ID token in the token response');
  if (typeof claims.email !== 'string' || claims.email === '') throw new GoogleLoginError('ID token carries no e-mail');
  if (claims.email_verified !== true && claims.email_verified !== 'true') throw new GoogleLoginError('e-mail not verified by the provider');
  return { sub: claims.sub, email: claims.email, emailVerified: true };
}

function describeGrantFailure(err: unknown): string {
  if (err instanceof oidc.ResponseBodyError) return `token exchange failed: ${printable(err.error)}`;
  if (err instanceof oidc.AuthorizationResponseError) return `provider returned an error: ${printable(err.error)}`;
  // openid-client wraps oauth4webapi's error (which names the failed check) in a generic one.
  const outer = err as { code?: string; message?: string; cause?: unknown };
  const inner = outer.cause instanceof Error ? (outer.cause as { code?: string; message: string }) : outer;
  const code = outer.code ?? inner.code;
  const message = inner.message ?? '';
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return 'ID token expired or not yet valid';
  if (code === 'OAUTH_KEY_SELECTION_FAILED' || /signature/i.test(message)) return 'ID token signature invalid';
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') return `ID token rejected: ${printable(message)}`;
  return message ? `token exchange failed: ${printable(message)}` : 'token exchange failed';
}
