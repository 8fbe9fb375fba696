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

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const COMMA = 0x2c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isHexDigit(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** What the grammar allows next, between tokens. */
const enum Expect {
  Value,
  ValueOrClose,
  Key,
  KeyOrClose,
  Colon,
  CommaOrClose,
}

/** The token being read, if any. */
const enum Token {
  None,
  String,
  Escape,
  Unicode,
  Literal,
  Number,
}

/** Where a number is in `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`. */
const enum NumberPart {
  Minus,
  Zero,
  Integer,
  Dot,
  Fraction,
  Exponent,
  ExponentSign,
  ExponentDigits,
}

const NUMBER_CAN_END = new Set([NumberPart.Zero, NumberPart.Integer, NumberPart.Fraction, NumberPart.ExponentDigits]);
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const LITERALS = new Map(['true', 'false', 'null'].map((word) => [word.charCodeAt(0), word]));

/**
 * Reads one JSON object or array byte by byte and knows, after every byte, whether the
 * bytes so far can still become valid JSON (RFC 8259; the text of strings is not checked
 * for UTF-8, the caller decodes it).
 */
class JsonPrefixCheck {
  broken = false;
  complete = false;
  private readonly open: number[] = [];
  private expect = Expect.Value;
  private token = Token.None;
  private stringIsKey = false;
  private hexLeft = 0;
  private literal = '';
  private literalAt = 0;
  private number = NumberPart.Integer;

  feed(byte: number): void {
    if (!this.broken && !this.accepts(byte)) this.broken = true;
  }

  private accepts(byte: number): boolean {
    if (this.complete) return false;
    if (this.token === Token.String || this.token === Token.Escape || this.token === Token.Unicode) return this.stringByte(byte);
    if (this.token === Token.Literal) return this.literalByte(byte);
    if (this.token === Token.Number) {
      if (this.numberByte(byte)) return true;
      if (!NUMBER_CAN_END.has(this.number)) return false;
      this.token = Token.None;
      this.valueDone();
    }
    if (isWhitespace(byte)) return true;
    return this.structuralByte(byte);
  }

  private structuralByte(byte: number): boolean {
    switch (this.expect) {
      case Expect.ValueOrClose:
        if (byte === CLOSE_BRACKET) return this.close(OPEN_BRACKET);
        return this.startValue(byte);
      case Expect.Value:
        return this.startValue(byte);
      case Expect.KeyOrClose:
        if (byte === CLOSE_BRACE) return this.close(OPEN_BRACE);
        return this.startKey(byte);
      case Expect.Key:
        return this.startKey(byte);
      case Expect.Colon:
        this.expect = Expect.Value;
        return byte === COLON;
      case Expect.CommaOrClose:
        if (byte === COMMA) {
          this.expect = this.open[this.open.length - 1] === OPEN_BRACE ? Expect.Key : Expect.Value;
          return true;
        }
        if (byte === CLOSE_BRACE) return this.close(OPEN_BRACE);
        if (byte === CLOSE_BRACKET) return this.close(OPEN_BRACKET);
        return false;
    }
  }

  private startKey(byte: number): boolean {
    this.token = Token.String;
    this.stringIsKey = true;
    return byte === QUOTE;
  }

  private startValue(byte: number): boolean {
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      this.open.push(byte);
      this.expect = byte === OPEN_BRACE ? Expect.KeyOrClose : Expect.ValueOrClose;
      return true;
    }
    if (byte === QUOTE) {
      this.token = Token.String;
      this.stringIsKey = false;
      return true;
    }
    const literal = LITERALS.get(byte);
    if (literal) {
      this.token = Token.Literal;
      this.literal = literal;
      this.literalAt = 1;
      return true;
    }
    if (byte === 0x2d || isDigit(byte)) {
      this.token = Token.Number;
      this.number = byte === 0x2d ? NumberPart.Minus : byte === 0x30 ? NumberPart.Zero : NumberPart.Integer;
      return true;
    }
    return false;
  }

  private close(opener: number): boolean {
    if (this.open.pop() !== opener) return false;
    this.valueDone();
    return true;
  }

  private valueDone(): void {
    if (this.open.length === 0) this.complete = true;
    else this.expect = Expect.CommaOrClose;
  }

  private stringByte(byte: number): boolean {
    if (this.token === Token.Escape) {
      if (byte === 0x75) {
        this.token = Token.Unicode;
        this.hexLeft = 4;
        return true;
      }
      this.token = Token.String;
      return SIMPLE_ESCAPES.has(byte);
    }
    if (this.token === Token.Unicode) {
      if (--this.hexLeft === 0) this.token = Token.String;
      return isHexDigit(byte);
    }
    if (byte === BACKSLASH) this.token = Token.Escape;
    else if (byte === QUOTE) this.endString();
    return byte >= 0x20;
  }

  private endString(): void {
    this.token = Token.None;
    if (this.stringIsKey) this.expect = Expect.Colon;
    else this.valueDone();
  }

  private literalByte(byte: number): boolean {
    if (byte !== this.literal.charCodeAt(this.literalAt)) return false;
    if (++this.literalAt === this.literal.length) {
      this.token = Token.None;
      this.valueDone();
    }
    return true;
  }

  /** True when `byte` continues the number being read. */
  private numberByte(byte: number): boolean {
    const next = nextNumberPart(this.number, byte);
    if (next === null) return false;
    this.number = next;
    return true;
  }
}

function nextNumberPart(part: NumberPart, byte: number): NumberPart | null {
  const digit = isDigit(byte);
  const exponent = byte === 0x65 || byte === 0x45;
  switch (part) {
    case NumberPart.Minus:
      return byte === 0x30 ? NumberPart.Zero : digit ? NumberPart.Integer : null;
    case NumberPart.Zero:
    case NumberPart.Integer:
      if (digit && part === NumberPart.Integer) return NumberPart.Integer;
      return byte === 0x2e ? NumberPart.Dot : exponent ? NumberPart.Exponent : null;
    case NumberPart.Dot:
      return digit ? NumberPart.Fraction : null;
    case NumberPart.Fraction:
      return digit ? NumberPart.Fraction : exponent ? NumberPart.Exponent : null;
    case NumberPart.Exponent:
      return byte === 0x2b || byte === 0x2d ? NumberPart.ExponentSign : digit ? NumberPart.ExponentDigits : null;
    case NumberPart.ExponentSign:
    case NumberPart.ExponentDigits:
      return digit ? NumberPart.ExponentDigits : null;
  }
}

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
