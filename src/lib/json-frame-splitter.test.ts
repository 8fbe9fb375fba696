import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonFrameSplitter, type Frame } from './json-frame-splitter.js';

const KIB = 1024;

/** Feeds each chunk in turn and returns every frame produced, in order. */
function split(chunks: Array<string | Buffer>, maxFrameBytes = 64 * KIB): { frames: Frame[]; splitter: JsonFrameSplitter } {
  const splitter = new JsonFrameSplitter(maxFrameBytes);
  const frames = chunks.flatMap((chunk) => splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8')));
  return { frames, splitter };
}

/** The texts of the frames, failing if any is not a text frame. */
function texts(frames: Frame[]): string[] {
  return frames.map((frame) => {
    assert.equal(frame.kind, 'text', `expected a text frame, got ${JSON.stringify(frame)}`);
    return (frame as { text: string }).text;
  });
}

/** A JSON line of about `bytes` bytes: {"type":"chat","message":"xxx..."}. */
function bigObject(bytes: number): string {
  const shell = JSON.stringify({ type: 'chat', message: '' });
  return JSON.stringify({ type: 'chat', message: 'x'.repeat(bytes - shell.length) });
}

describe('JsonFrameSplitter', () => {
  test('two objects in one chunk', () => {
    const { frames, splitter } = split(['{"type":"heartbeat"}\n{"type":"login","username":"ann"}\n']);
    assert.deepEqual(texts(frames), ['{"type":"heartbeat"}', '{"type":"login","username":"ann"}']);
    assert.equal(splitter.bufferedBytes, 0);
  });

  test('one object split over three chunks', () => {
    const { frames, splitter } = split(['{"type":"lo', 'gin","username":"a', 'nn"}']);
    assert.deepEqual(texts(frames), ['{"type":"login","username":"ann"}']);
    assert.equal(splitter.bufferedBytes, 0);
  });

  test('nothing comes out until the object is complete', () => {
    const splitter = new JsonFrameSplitter(64 * KIB);
    assert.deepEqual(splitter.push(Buffer.from('{"type":"heart')), []);
    assert.equal(splitter.bufferedBytes, 14);
    assert.deepEqual(splitter.push(Buffer.from('beat"')), []);
    assert.deepEqual(texts(splitter.push(Buffer.from('}'))), ['{"type":"heartbeat"}']);
  });

  test('split inside a string that holds braces', () => {
    const { frames } = split(['{"type":"chat","message":"a {', ' b } c', '"}']);
    assert.deepEqual(texts(frames), ['{"type":"chat","message":"a { b } c"}']);
  });

  test('split inside a multi-byte UTF-8 character', () => {
    const whole = Buffer.from('{"type":"chat","message":"héllo 世界 😀"}', 'utf8');
    const e = whole.indexOf(Buffer.from('é'));
    const world = whole.indexOf(Buffer.from('世'));
    const emoji = whole.indexOf(Buffer.from('😀'));
    const chunks = [whole.subarray(0, e + 1), whole.subarray(e + 1, world + 2), whole.subarray(world + 2, emoji + 3), whole.subarray(emoji + 3)];
    const { frames } = split(chunks);
    assert.deepEqual(texts(frames), ['{"type":"chat","message":"héllo 世界 😀"}']);
    assert.equal(JSON.parse(texts(frames)[0]!).message, 'héllo 世界 😀');
  });

  test('every byte in its own chunk', () => {
    const line = '{"type":"chat","message":"é\\"}{"}\n{"type":"heartbeat"}';
    const bytes = Buffer.from(line, 'utf8');
    const { frames } = split([...bytes].map((b) => Buffer.from([b])));
    assert.deepEqual(texts(frames), ['{"type":"chat","message":"é\\"}{"}', '{"type":"heartbeat"}']);
  });

  test('objects back-to-back without separators', () => {
    const { frames } = split(['{"type":"heartbeat"}{"type":"login"}{"a":{"b":[1,{}]}}']);
    assert.deepEqual(texts(frames), ['{"type":"heartbeat"}', '{"type":"login"}', '{"a":{"b":[1,{}]}}']);
  });

  test('back-to-back objects with the boundary falling between chunks', () => {
    const { frames } = split(['{"type":"heartbeat"}{"ty', 'pe":"login"}{', '"n":1}']);
    assert.deepEqual(texts(frames), ['{"type":"heartbeat"}', '{"type":"login"}', '{"n":1}']);
  });

  test('newline-delimited, with CRLF, blank lines and indentation', () => {
    const { frames } = split(['{"n":1}\r\n\n  {"n":2}\n\t{\n  "n": 3\n}\n']);
    assert.deepEqual(texts(frames), ['{"n":1}', '{"n":2}', '{\n  "n": 3\n}']);
  });

  test('braces, brackets and escaped quotes inside strings do not count', () => {
    const tricky = JSON.stringify({ type: 'chat', message: 'say "}" and "{" then ]]] \\ and \\"' });
    const { frames } = split([`${tricky}${tricky}`]);
    assert.deepEqual(texts(frames), [tricky, tricky]);
    assert.equal(JSON.parse(texts(frames)[1]!).message, 'say "}" and "{" then ]]] \\ and \\"');
  });

  test('an escaped backslash right before the closing quote ends the string', () => {
    const { frames } = split(['{"m":"a\\\\', '"}{"n":2}']);
    assert.deepEqual(texts(frames), ['{"m":"a\\\\"}', '{"n":2}']);
  });

  test('an escape split across chunks', () => {
    const { frames } = split(['{"m":"a\\', '"}"}']);
    assert.deepEqual(texts(frames), ['{"m":"a\\"}"}']);
  });

  test('a 100 KiB line with a 64 KiB limit is too large', () => {
    const line = bigObject(100 * KIB);
    const { frames, splitter } = split([`${line}\n`], 64 * KIB);
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.kind, 'too_large');
    assert.ok((frames[0] as { size: number }).size > 64 * KIB);
    assert.equal(splitter.bufferedBytes, 0);
  });

  test('a 100 KiB line arriving in 4 KiB chunks is reported once it passes the limit, without buffering the rest', () => {
    const bytes = Buffer.from(`${bigObject(100 * KIB)}\n`);
    const splitter = new JsonFrameSplitter(64 * KIB);
    let firstTooLargeAt = -1;
    for (let offset = 0; offset < bytes.length; offset += 4 * KIB) {
      const frames = splitter.push(bytes.subarray(offset, offset + 4 * KIB));
      if (firstTooLargeAt < 0 && frames.some((f) => f.kind === 'too_large')) firstTooLargeAt = offset;
      assert.ok(splitter.bufferedBytes <= 64 * KIB, `buffered ${splitter.bufferedBytes} bytes`);
      if (firstTooLargeAt >= 0) break;
    }
    assert.ok(firstTooLargeAt >= 60 * KIB && firstTooLargeAt <= 68 * KIB, `too_large at offset ${firstTooLargeAt}`);
  });

  test('a 100 KiB line with a larger limit is accepted', () => {
    const line = bigObject(100 * KIB);
    const bytes = Buffer.from(`${line}\n`);
    const chunks = [bytes.subarray(0, 30 * KIB), bytes.subarray(30 * KIB, 70 * KIB), bytes.subarray(70 * KIB)];
    const { frames, splitter } = split(chunks, 256 * KIB);
    assert.deepEqual(texts(frames), [line]);
    assert.equal(Buffer.byteLength(line), 100 * KIB);
    assert.equal(splitter.bufferedBytes, 0);
  });

  test('a frame of exactly the limit is accepted, one byte more is not', () => {
    const exact = bigObject(1000);
    assert.deepEqual(texts(split([exact], 1000).frames), [exact]);
    const over = bigObject(1001);
    assert.deepEqual(split([over], 1000).frames.map((f) => f.kind), ['too_large']);
  });

  test('invalid text followed by a valid object: an invalid frame, then a text frame', () => {
    const { frames } = split(['this is not json {"type":"heartbeat"}\n']);
    assert.deepEqual(frames, [
      { kind: 'invalid', text: 'this is not json' },
      { kind: 'text', text: '{"type":"heartbeat"}' },
    ]);
  });

  test('an invalid line ended by a newline, then a valid line', () => {
    const { frames } = split(['hello', ' there\n', '{"type":"heartbeat"}\n']);
    assert.deepEqual(frames, [
      { kind: 'invalid', text: 'hello there' },
      { kind: 'text', text: '{"type":"heartbeat"}' },
    ]);
  });

  test('a stray closing brace after an object is invalid text', () => {
    const { frames } = split(['{"n":1}}\n{"n":2}']);
    assert.deepEqual(frames, [
      { kind: 'text', text: '{"n":1}' },
      { kind: 'invalid', text: '}' },
      { kind: 'text', text: '{"n":2}' },
    ]);
  });

  test('broken JSON inside braces is still one frame (the caller finds it invalid)', () => {
    const { frames } = split(['{type: heartbeat}\n{"n":1}']);
    assert.deepEqual(texts(frames), ['{type: heartbeat}', '{"n":1}']);
    assert.throws(() => JSON.parse(texts(frames)[0]!));
  });

  test('arrays are frames too', () => {
    const { frames } = split(['[1,2,{"a":[3]}]', '\n[]{"n":1}']);
    assert.deepEqual(texts(frames), ['[1,2,{"a":[3]}]', '[]', '{"n":1}']);
  });

  test('whitespace only yields nothing and keeps nothing', () => {
    const { frames, splitter } = split([' \n\t\r\n', '   ', '\n']);
    assert.deepEqual(frames, []);
    assert.equal(splitter.bufferedBytes, 0);
  });

  test('long invalid text without a newline is cut off at the limit', () => {
    const { frames, splitter } = split(['x'.repeat(2000)], 1000);
    assert.deepEqual(frames.map((f) => f.kind), ['too_large']);
    assert.equal(splitter.bufferedBytes, 0);
  });
});

test('a large object fed one byte at a time arrives whole, once', () => {
  const splitter = new JsonFrameSplitter(64 * 1024);
  const text = JSON.stringify({ type: 'chat', message: 'x'.repeat(60_000) });
  const frames = [];
  for (const byte of Buffer.from(text)) frames.push(...splitter.push(Buffer.from([byte])));
  assert.deepEqual(frames, [{ kind: 'text', text }]);
  assert.equal(splitter.bufferedBytes, 0);
});
