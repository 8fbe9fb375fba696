import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonFrameSplitter, type Frame } from './json-frame-splitter.js';
import { seededRandom } from '../../test/support/seeded-random.js';

const KIB = 1024;
const HEARTBEAT = '{"type":"heartbeat"}';

/** Feeds each chunk in turn and returns every frame produced, in order. */
function split(chunks: Array<string | Buffer>, maxFrameBytes = 64 * KIB): Frame[] {
  const splitter = new JsonFrameSplitter(maxFrameBytes);
  return chunks.flatMap((chunk) => splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8')));
}

/** Each frame as `kind:text` (or `too_large`), for compact expectations. */
function shapes(frames: Frame[]): string[] {
  return frames.map((f) => (f.kind === 'too_large' ? 'too_large' : `${f.kind}:${f.text}`));
}

describe('JsonFrameSplitter: no line leaves the stream stuck', () => {
  const cases: Array<{ name: string; input: string | Buffer; expected: string[] }> = [
    { name: 'a stray { alone on a line', input: `{\n${HEARTBEAT}\n`, expected: ['invalid:{', `text:${HEARTBEAT}`] },
    { name: 'a stray [ alone on a line', input: `[\n${HEARTBEAT}\n`, expected: ['invalid:[', `text:${HEARTBEAT}`] },
    { name: 'an object waiting for a value', input: `{"a":\n${HEARTBEAT}\n`, expected: ['invalid:{"a":', `text:${HEARTBEAT}`] },
    { name: 'an object waiting for a comma', input: `{"a":1\n${HEARTBEAT}\n`, expected: ['invalid:{"a":1', `text:${HEARTBEAT}`] },
    { name: 'a string left open over the newline', input: `{"m":"abc\n${HEARTBEAT}\n`, expected: ['invalid:{"m":"abc', `text:${HEARTBEAT}`] },
    { name: 'a backslash right before the newline', input: `{"m":"abc\\\n${HEARTBEAT}\n`, expected: ['invalid:{"m":"abc\\', `text:${HEARTBEAT}`] },
    { name: 'a literal cut by the newline', input: `{"a":tru\n${HEARTBEAT}\n`, expected: ['invalid:{"a":tru', `text:${HEARTBEAT}`] },
    { name: 'garbage ending in an open brace', input: `abc{\n${HEARTBEAT}\n`, expected: ['invalid:abc', 'invalid:{', `text:${HEARTBEAT}`] },
    { name: 'a NUL byte in a string', input: Buffer.from(`{"m":"a\u0000b"\n${HEARTBEAT}\n`), expected: ['invalid:{"m":"a\u0000b"', `text:${HEARTBEAT}`] },
    { name: 'a NUL byte outside any object', input: Buffer.from(`\u0000\n${HEARTBEAT}\n`), expected: ['invalid:\u0000', `text:${HEARTBEAT}`] },
    { name: 'bytes that are not UTF-8 after a brace', input: Buffer.concat([Buffer.from('{'), Buffer.from([0xff, 0xfe]), Buffer.from(`\n${HEARTBEAT}\n`)]), expected: ['invalid:{\ufffd\ufffd', `text:${HEARTBEAT}`] },
    { name: 'CRLF after a broken line', input: `{"a":\r\n${HEARTBEAT}\r\n`, expected: ['invalid:{"a":', `text:${HEARTBEAT}`] },
    { name: 'two open lines in a row', input: `{"a":[\n{\n${HEARTBEAT}\n`, expected: ['invalid:{"a":[\n{', `text:${HEARTBEAT}`] },
    { name: 'a valid value then a stray line', input: `{"a":1\n"b":2}\n${HEARTBEAT}\n`, expected: ['invalid:{"a":1', 'invalid:"b":2}', `text:${HEARTBEAT}`] },
  ];
  for (const c of cases) {
    test(`${c.name}: the error, then the next frame`, () => {
      assert.deepEqual(shapes(split([c.input])), c.expected);
    });
  }

  test('a heartbeat sent without a newline after an open line still comes out', () => {
    assert.deepEqual(shapes(split(['{"a":\n', HEARTBEAT])), ['invalid:{"a":', `text:${HEARTBEAT}`]);
  });

  test('pretty-printed objects, nested ones too, are still one frame', () => {
    const pretty = JSON.stringify({ type: 'chat', token: 'x', message: 'hi', meta: { list: [{ n: 1 }, [2, 3]], on: true, off: null, n: -1.5e3 } }, null, 2);
    assert.deepEqual(shapes(split([`${pretty}\n${HEARTBEAT}\n`])), [`text:${pretty}`, `text:${HEARTBEAT}`]);
  });

  test('a line too long for the limit is still too large', () => {
    assert.deepEqual(shapes(split(['{"a":\n', 'x'.repeat(2000)], 1000)), ['invalid:{"a":', 'too_large']);
  });

  test('property: however the bytes are cut into chunks, the same frames come out', (t) => {
    const seed = Number(process.env.SPLITTER_SEED ?? Date.now() % 2 ** 31);
    t.diagnostic(`SPLITTER_SEED=${seed}`);
    const random = seededRandom(seed);
    const pieces = ['{', '}', '[', ']', '"', '\\', ':', ',', '\u0000', '\r', '\n', 'a', '1', ' ', 'true', HEARTBEAT, '{"m":"x', '\u00e9'];
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 30) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      const bytes = Buffer.from(text, 'utf8');
      const whole = shapes(split([bytes]));
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 5);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(shapes(split(chunks)), whole, `seed ${seed}, round ${round}, input ${JSON.stringify(text)}`);
    }
  });
});
