import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { http } from '../../../test/support/clients.js';

/** Shared by the web-account tests; not a test file itself. */

/** A sign-up body with every field, overridable. */
export function signupBody(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    s_name: name,
    s_email: `${name}@example.com`,
    s_password: `pw-${name}-123`,
    s_password_confirmation: `pw-${name}-123`,
    s_phone: `1380000${String(hashCode(name) % 10000).padStart(4, '0')}`,
    ...overrides,
  };
}

function hashCode(text: string): number {
  let h = 7;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

/** Signs up over HTTP (optionally asking for a level) and asserts success. */
export async function signup(baseUrl: string, name: string, level?: string): Promise<void> {
  const headers: Record<string, string> = level === undefined ? {} : { authorization: level };
  const res = await http(baseUrl, 'POST', '/user/signup', { body: signupBody(name), headers });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** Logs in with the password `signupBody` gave and returns the whole 200 body. */
export async function login(baseUrl: string, name: string): Promise<{ user_info: Record<string, unknown>; access_token: string }> {
  const res = await http(baseUrl, 'POST', '/user/login', { body: { s_name: name, s_password: `pw-${name}-123` } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Asserts the token is an HS256 JWT with identity, iat, nbf, exp (iat + ttl) and jti; returns its claims. */
export function assertWebJwt(token: string, ttlS = 300): Record<string, unknown> {
  assert.equal(decodeProtectedHeader(token).alg, 'HS256');
  const claims = decodeJwt(token);
  assert.equal(typeof claims.identity, 'number');
  assert.equal(typeof claims.iat, 'number');
  assert.equal(claims.nbf, claims.iat);
  assert.equal(claims.exp, claims.iat! + ttlS);
  assert.match(String(claims.jti), /^[0-9a-f]{32}$/);
  return claims;
}
