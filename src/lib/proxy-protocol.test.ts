import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readProxyV1Header } from './proxy-protocol.js';

const read = (text: string) => readProxyV1Header(Buffer.from(text, 'latin1'));

test('a PROXY v1 header gives the client address and where the stream begins', () => {
  const tcp4 = 'PROXY TCP4 203.0.113.7 10.0.0.11 51234 8889\r\n';
  assert.deepEqual(read(`${tcp4}{"type":"login"}\n`), { kind: 'ok', source: '203.0.113.7', length: tcp4.length });
  const tcp6 = 'PROXY TCP6 2001:db8::7 2001:db8::1 51234 8889\r\n';
  assert.deepEqual(read(tcp6), { kind: 'ok', source: '2001:db8::7', length: tcp6.length });
  assert.deepEqual(read('PROXY UNKNOWN\r\n'), { kind: 'ok', source: null, length: 15 });
  const unknownLong = 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n';
  assert.deepEqual(read(unknownLong), { kind: 'ok', source: null, length: unknownLong.length });
});

test('a header still arriving is incomplete; anything else is invalid', () => {
  for (const partial of ['', 'P', 'PROXY', 'PROXY TCP4 203.0.113.7 10.0.0.11 5123', 'PROXY TCP4 203.0.113.7 10.0.0.11 51234 8889\r']) {
    assert.deepEqual(read(partial), { kind: 'incomplete' }, JSON.stringify(partial));
  }
  for (const bad of [
    '{"type":"login"}\n',
    'GET / HTTP/1.1\r\n',
    'PROXY TCP4 203.0.113.7 10.0.0.11 51234\r\n',
    'PROXY TCP4 2001:db8::7 10.0.0.11 51234 8889\r\n',
    'PROXY TCP6 203.0.113.7 2001:db8::1 51234 8889\r\n',
    'PROXY TCP4 203.0.113.300 10.0.0.11 51234 8889\r\n',
    'PROXY TCP4 203.0.113.7 10.0.0.11 65536 8889\r\n',
    'PROXY TCP4 203.0.113.7 10.0.0.11 0123 8889\r\n',
    'PROXY UDP4 203.0.113.7 10.0.0.11 51234 8889\r\n',
    'PROXY  TCP4 203.0.113.7 10.0.0.11 51234 8889\r\n',
    `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`,
    `PROXY TCP4 ${'1'.repeat(110)}`,
  ]) {
    assert.deepEqual(read(bad), { kind: 'invalid' }, JSON.stringify(bad));
  }
});
