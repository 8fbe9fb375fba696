import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, isWhitespace } from './json-bytes.js';

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
export class JsonPrefixCheck {
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
