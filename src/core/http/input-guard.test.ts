import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasUnstorableText, holdsUnstorableText, unstorablePartOf, unstorableTextError } from './input-guard.js';

const basicHeader = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const request = (parts: { body?: unknown; query?: unknown; params?: unknown; authorization?: string }) => ({
  body: parts.body,
  query: parts.query ?? {},
  params: parts.params ?? {},
  headers: parts.authorization === undefined ? {} : { authorization: parts.authorization },
});

describe('input guard', () => {
  test('NUL and unpaired surrogates are unstorable; pairs, other control characters and CJK are fine', () => {
    for (const bad of ['\u0000', 'a\u0000b', '\uD800', 'x\uDBFFy', '\uDC00', 'a\uDFFF', '\uDC00\uD800', '😀'.slice(0, 1)]) {
      assert.equal(hasUnstorableText(bad), true, JSON.stringify(bad));
    }
    for (const good of ['', 'plain', '😀', 'a\uD83D\uDE00b', '\u0001\t\n', '学号应该是一个十位数', '\uFFFD']) {
      assert.equal(hasUnstorableText(good), false, JSON.stringify(good));
    }
  });

  test('looks into nested objects, arrays and keys, never into bytes', () => {
    assert.equal(holdsUnstorableText({ a: [1, { b: ['ok', 'n\u0000'] }] }), true);
    assert.equal(holdsUnstorableText({ ['k\uD800']: 1 }), true);
    assert.equal(holdsUnstorableText([null, true, 3.5, { a: 'ok' }]), false);
    assert.equal(holdsUnstorableText(Buffer.from([0, 0xd8, 0])), false);
    assert.equal(holdsUnstorableText(new Uint8Array([0])), false);
    assert.equal(holdsUnstorableText(undefined), false);
  });

  test('a deeply nested body is walked without overflowing the stack', () => {
    const depth = 200_000;
    const nested = JSON.parse(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`);
    assert.equal(holdsUnstorableText(nested), true);
  });

  test('names the part of the request that holds it', () => {
    assert.equal(unstorablePartOf(request({ body: { s_name: 'alice' } })), null);
    assert.equal(unstorablePartOf(request({ body: { s_name: 'a\u0000' } })), 'The request body');
    assert.equal(unstorablePartOf(request({ query: { s_nf: 'a\u0000' } })), 'The query string');
    assert.equal(unstorablePartOf(request({ params: { id: '\u0000' } })), 'The path');
    // Basic credentials are decoded and checked only by the surface that reads them (study).
    assert.equal(unstorablePartOf(request({ authorization: basicHeader('alice\u0000:pw') })), null);
  });

  test('a bad request, except in the path, which names nothing that could exist', () => {
    assert.equal(unstorableTextError('The request body').code, 'bad_request');
    assert.equal(unstorableTextError('The Authorization header').code, 'bad_request');
    assert.equal(unstorableTextError('The path').code, 'not_found');
  });
});
