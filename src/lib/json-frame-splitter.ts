import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, NEWLINE, OPEN_BRACE, OPEN_BRACKET, QUOTE, isWhitespace } from './json-bytes.js';
import { JsonPrefixCheck } from './json-prefix-check.js';

/**
 * Splits a byte stream into JSON frames the way old socket clients send them:
 * newline-delimited, back-to-back with no separator, split across packets or
 * several in one packet, even pretty-printed over several lines. No input leaves the
 * stream stuck: once a newline ends bytes that can no longer become JSON, they come out
 * as an invalid frame and the next line is read afresh.
 *
 * The rules, in order:
 * - Outside a frame, whitespace is skipped; `{` or `[` starts a frame; anything else is
 *   stray text, which ends at a newline or at the next `{` (an invalid frame).
 * - A frame ends where its outermost bracket closes (counted outside strings).
 * - A frame whose bytes can no longer be valid JSON ends at the next newline (invalid).
 * - A frame still valid at a newline goes on with the next line (multi-line JSON), unless
 *   that line cannot continue it (the lines before are invalid and the line is read on its
 *   own) or that line starts with an object that is complete by itself (that object is a
 *   frame of its own).
 */
export type Frame =
  | { kind: 'text'; text: string }
  | { kind: 'invalid'; text: string }
  | { kind: 'too_large'; size: number };

/**
 * One frame being read: its brackets counted outside strings (where it ends, even when
 * broken) and whether it can still be valid JSON.
 */
class FrameScan {
  readonly json = new JsonPrefixCheck();
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds one byte; true when it closes the outermost bracket. */
  feed(byte: number): boolean {
    this.json.feed(byte);
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) this.inString = false;
      return false;
    }
    if (byte === QUOTE) this.inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) return --this.depth === 0;
    return false;
  }

  get broken(): boolean {
    return this.json.broken;
  }
}

/**
 * Incremental splitter; one instance per connection. Bytes of an unfinished frame are kept
 * as chunk slices and joined only when the frame ends, so a frame sent one byte at a time
 * costs no repeated copying; each byte is scanned once, twice at most when a line is read
 * again on its own.
 */
export class JsonFrameSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private frame: FrameScan | null = null;
  /** True while collecting stray text outside any frame. */
  private inStrayText = false;
  /** Offset in the frame of the first non-blank byte of its current line after the first; -1 on the first line. */
  private lineOffset = -1;
  /** True after a newline inside a frame until the next non-blank byte. */
  private atLineStart = false;
  /** The current line scanned as a frame of its own, when it starts with `{` inside a multi-line frame. */
  private lineObject: FrameScan | null = null;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds one chunk and returns every frame it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (!this.frame && !this.inStrayText) {
        if (isWhitespace(byte)) continue;
        start = i;
        if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.beginFrame(byte);
        else this.inStrayText = true;
        continue;
      }
      if (this.inStrayText) {
        if (byte === NEWLINE || byte === OPEN_BRACE) {
          frames.push(invalid(this.take(chunk, start, i)));
          this.inStrayText = false;
          start = i;
          if (byte === OPEN_BRACE) this.beginFrame(byte);
        }
        continue;
      }
      const end = this.frameByte(byte, this.partsLength + i - start);
      if (end) {
        this.cut(frames, chunk, start, i, end);
        start = i + 1;
      }
    }
    if (this.frame || this.inStrayText) this.keep(chunk.subarray(start), frames);
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.partsLength;
  }

  private beginFrame(byte: number): void {
    this.frame = new FrameScan();
    this.frame.feed(byte);
  }

  /** Feeds one byte of the current frame, at `offset` in it; says how the frame ends with this byte, if it does. */
  private frameByte(byte: number, offset: number): FrameEnd | null {
    const frame = this.frame!;
    if (this.atLineStart && !isWhitespace(byte)) {
      this.atLineStart = false;
      this.lineOffset = offset;
      if (byte === OPEN_BRACE) this.lineObject = new FrameScan();
    }
    const wasBroken = frame.broken;
    const closed = frame.feed(byte);
    const lineObjectClosed = this.lineObject?.feed(byte) ?? false;
    if (!wasBroken && frame.broken && this.lineOffset > 0) return 'reread_line';
    if (closed) return 'whole';
    if (lineObjectClosed && !this.lineObject!.broken) return 'line_object';
    if (lineObjectClosed) this.lineObject = null;
    if (byte !== NEWLINE) return null;
    if (frame.broken) return 'broken_line';
    this.atLineStart = true;
    this.lineObject = null;
    return null;
  }

  /** Ends the current frame as `end` says, with `chunk[start, i]` as its last bytes. */
  private cut(frames: Frame[], chunk: Buffer, start: number, i: number, end: FrameEnd): void {
    const whole = this.take(chunk, start, i + 1);
    const lineOffset = this.lineOffset;
    this.reset();
    switch (end) {
      case 'whole':
        frames.push(whole.length > this.maxFrameBytes ? { kind: 'too_large', size: whole.length } : { kind: 'text', text: whole.toString('utf8') });
        return;
      case 'broken_line':
        frames.push(invalid(whole));
        return;
      case 'line_object':
        frames.push(invalid(whole.subarray(0, lineOffset)), { kind: 'text', text: whole.subarray(lineOffset).toString('utf8') });
        return;
      case 'reread_line':
        frames.push(invalid(whole.subarray(0, lineOffset)), ...this.push(Buffer.from(whole.subarray(lineOffset))));
        return;
    }
  }

  /** Keeps the unfinished tail of a chunk; past the limit, reports the frame as too large and drops it. */
  private keep(tail: Buffer, frames: Frame[]): void {
    this.parts.push(tail);
    this.partsLength += tail.length;
    if (this.partsLength > this.maxFrameBytes) {
      frames.push({ kind: 'too_large', size: this.partsLength });
      this.reset();
    }
  }

  /** The kept slices plus `chunk[from, to)` as one buffer; clears the kept slices. */
  private take(chunk: Buffer, from: number, to: number): Buffer {
    const tail = chunk.subarray(from, to);
    const whole = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.partsLength = 0;
    return whole;
  }

  private reset(): void {
    this.parts = [];
    this.partsLength = 0;
    this.frame = null;
    this.inStrayText = false;
    this.lineOffset = -1;
    this.atLineStart = false;
    this.lineObject = null;
  }
}

/** How a frame ends: closed, broken at a newline, cut before a line object, or cut before a line read again. */
type FrameEnd = 'whole' | 'broken_line' | 'line_object' | 'reread_line';

function invalid(bytes: Buffer): Frame {
  return { kind: 'invalid', text: bytes.toString('utf8').trim() };
}
