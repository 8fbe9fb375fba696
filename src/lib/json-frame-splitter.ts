/**
 * Splits a byte stream into JSON frames the way old socket clients send them:
 * newline-delimited, back-to-back with no separator, split across packets or
 * several in one packet. It tracks bracket depth outside of strings, so it never
 * needs a delimiter; text outside any object (up to a newline or the next `{`)
 * is returned as an invalid frame so the caller can answer it and carry on.
 */
export type Frame =
  | { kind: 'text'; text: string }
  | { kind: 'invalid'; text: string }
  | { kind: 'too_large'; size: number };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * Incremental splitter; one instance per connection. Each byte is scanned once: bytes of
 * an unfinished frame are kept as chunk slices and joined only when the frame completes,
 * so a frame sent one byte at a time costs no repeated copying.
 */
export class JsonFrameSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** True while collecting stray text outside any object. */
  private inGarbage = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds one chunk and returns every frame it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.depth === 0 && !this.inGarbage) {
        if (isWhitespace(byte)) continue;
        start = i;
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth = 1;
        else this.inGarbage = true;
        continue;
      }
      if (this.inGarbage) {
        if (byte === NEWLINE || byte === OPEN_BRACE) {
          frames.push({ kind: 'invalid', text: this.take(chunk, start, i).toString('utf8').trim() });
          this.inGarbage = false;
          start = i;
          if (byte === OPEN_BRACE) this.depth = 1;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          const size = this.partsLength + i + 1 - start;
          if (size > this.maxFrameBytes) {
            this.take(chunk, start, i + 1, false);
            frames.push({ kind: 'too_large', size });
          } else frames.push({ kind: 'text', text: this.take(chunk, start, i + 1).toString('utf8') });
          start = i + 1;
        }
      }
    }
    if (this.depth > 0 || this.inGarbage) {
      this.parts.push(chunk.subarray(start));
      this.partsLength += chunk.length - start;
      if (this.partsLength > this.maxFrameBytes) {
        frames.push({ kind: 'too_large', size: this.partsLength });
        this.reset();
      }
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.partsLength;
  }

  /** The kept slices plus `chunk[from, to)` as one buffer (unless `join` is false); clears the kept slices. */
  private take(chunk: Buffer, from: number, to: number, join = true): Buffer {
    const tail = chunk.subarray(from, to);
    const whole = !join ? tail : this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.partsLength = 0;
    return whole;
  }

  private reset(): void {
    this.parts = [];
    this.partsLength = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.inGarbage = false;
  }
}
