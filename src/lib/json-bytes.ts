/** Bytes of JSON's grammar, shared by the frame splitter and the prefix check. */
export const OPEN_BRACE = 0x7b;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACE = 0x7d;
export const CLOSE_BRACKET = 0x5d;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const NEWLINE = 0x0a;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** JSON's insignificant whitespace: space, tab, newline, carriage return. */
export function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
