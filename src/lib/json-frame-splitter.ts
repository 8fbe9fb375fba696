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

/** Incremental splitter; one instance per connection. */
export class JsonFrameSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Offset in `pending` up to which bytes have been scanned. */
  private scanned = 0;
  /** True while collecting stray text outside any object. */
  private inGarbage = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds one chunk and returns every frame it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let start = 0;
    let i = this.scanned;
    const buf = this.pending;
    for (; i < buf.length; i++) {
      const byte = buf[i]!;
      if (this.depth === 0 && !this.inGarbage) {
        if (isWhitespace(byte)) {
          start = i + 1;
          continue;
        }
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          start = i;
          this.depth = 1;
          continue;
        }
        start = i;
        this.inGarbage = true;
        continue;
      }
      if (this.inGarbage) {
        if (byte === NEWLINE || byte === OPEN_BRACE) {
          frames.push({ kind: 'invalid', text: buf.toString('utf8', start, i).trim() });
          this.inGarbage = false;
          start = i;
          if (byte === OPEN_BRACE) this.depth = 1;
          else start = i + 1;
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
          const size = i + 1 - start;
          if (size > this.maxFrameBytes) frames.push({ kind: 'too_large', size });
          else frames.push({ kind: 'text', text: buf.toString('utf8', start, i + 1) });
          start = i + 1;
        }
      }
    }
    this.pending = start >= buf.length ? Buffer.alloc(0) : buf.subarray(start);
    this.scanned = this.pending.length;
    if (this.pending.length > this.maxFrameBytes) {
      frames.push({ kind: 'too_large', size: this.pending.length });
      this.reset();
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  private reset(): void {
    this.pending = Buffer.alloc(0);
    this.scanned = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.inGarbage = false;
  }
}
