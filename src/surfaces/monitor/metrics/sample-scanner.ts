import { MAX_BATCH_SAMPLES, MAX_NF_NAME_LENGTH, measurementOf } from './rules.js';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import { SAMPLE_KEYS } from './tables.js';

/**
 * The ingest fast path: reads a posted body in the shape log clients send (an object, or
 * an array of objects, each holding the 15 sample keys once with string or number values)
 * straight from the text into encoded rows, without building a JavaScript object per
 * sample and serialising it again. It accepts a strict subset of JSON, and only valid
 * samples: strings without escapes or control characters, plain JSON numbers, the 15
 * keys and no others. Anything else (an error to report, an escape, an extra key, a
 * duplicate) returns null, and the caller takes the general path (JSON.parse and
 * parseSample), which is authoritative for every answer. Where the fast path accepts a
 * body, the rows are the ones the general path would store, except that `raw` keeps each
 * number as the client wrote it (`1.50` rather than `1.5`), which reads back as the same
 * value.
 */

const QUOTED_KEYS = SAMPLE_KEYS.map((key) => `"${key}"`);
const KEY_COUNT = SAMPLE_KEYS.length;
const ALL_KEYS_SEEN = (1 << KEY_COUNT) - 1;
const DT_INDEX = SAMPLE_KEYS.indexOf('dt_infotime');
const NF_INDEX = SAMPLE_KEYS.indexOf('s_nf');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Per-call scratch: where each key's value token starts and ends, and whether it is a string. */
interface Tokens {
  start: Int32Array;
  end: Int32Array;
  isString: Uint8Array;
}

function newTokens(): Tokens {
  return { start: new Int32Array(KEY_COUNT), end: new Int32Array(KEY_COUNT), isString: new Uint8Array(KEY_COUNT) };
}

const scratch = newTokens();

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** End of a string token starting at the quote at `i`, or -1 when it has an escape, a control character or no end. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** End of a JSON number token starting at `i` (RFC 8259 grammar), or -1 when there is none. */
function numberEnd(text: string, i: number): number {
  let j = i;
  if (text.charCodeAt(j) === 0x2d) j++;
  const first = text.charCodeAt(j);
  if (first === 0x30) j++;
  else if (first >= 0x31 && first <= 0x39) while (isDigit(text.charCodeAt(j))) j++;
  else return -1;
  if (text.charCodeAt(j) === 0x2e) {
    j++;
    if (!isDigit(text.charCodeAt(j))) return -1;
    while (isDigit(text.charCodeAt(j))) j++;
  }
  const e = text.charCodeAt(j);
  if (e === 0x65 || e === 0x45) {
    j++;
    const sign = text.charCodeAt(j);
    if (sign === 0x2b || sign === 0x2d) j++;
    if (!isDigit(text.charCodeAt(j))) return -1;
    while (isDigit(text.charCodeAt(j))) j++;
  }
  return j;
}

/** Which sample key the quoted key at `i` is (trying `expected` first), or -1. */
function keyAt(text: string, i: number, expected: number): number {
  if (expected < KEY_COUNT && text.startsWith(QUOTED_KEYS[expected]!, i)) return expected;
  for (let k = 0; k < KEY_COUNT; k++) if (text.startsWith(QUOTED_KEYS[k]!, i)) return k;
  return -1;
}

/**
 * Reads one sample object starting at the `{` at `i` into `t`; returns the index after
 * its `}`, or -1 when it is outside the fast path's shape.
 */
function scanObject(text: string, i: number, t: Tokens): number {
  let seen = 0;
  let expected = 0;
  i = skipSpace(text, i + 1);
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const k = keyAt(text, i, expected);
    if (k < 0 || seen & (1 << k)) return -1;
    // The quoted key must end right there: `"s_cpu"` and not the start of `"s_cpu2"`.
    i = skipSpace(text, i + QUOTED_KEYS[k]!.length);
    if (text.charCodeAt(i) !== COLON) return -1;
    i = skipSpace(text, i + 1);
    const quoted = text.charCodeAt(i) === QUOTE;
    const end = quoted ? stringEnd(text, i) : numberEnd(text, i);
    if (end < 0) return -1;
    t.start[k] = i;
    t.end[k] = end;
    t.isString[k] = quoted ? 1 : 0;
    seen |= 1 << k;
    expected = k + 1;
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) return seen === ALL_KEYS_SEEN ? i + 1 : -1;
    if (c !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/** A value token's JavaScript value: the string between the quotes, or the number. */
function tokenValue(text: string, t: Tokens, k: number): string | number {
  return t.isString[k] ? text.slice(t.start[k]! + 1, t.end[k]! - 1) : Number(text.slice(t.start[k], t.end[k]));
}

/**
 * Appends the scanned sample in `t` to `out` as one encoded row; false when the sample is
 * invalid (a number too large to be finite, a blank or overlong NF name), for the general
 * path to report.
 */
function encodeScanned(out: EncodedRows, text: string, t: Tokens, receivedAt: number): boolean {
  if (!t.isString[NF_INDEX]) return false;
  const nf = tokenValue(text, t, NF_INDEX) as string;
  if (nf.length > MAX_NF_NAME_LENGTH || nf.trim() === '') return false;
  const base = out.length;
  out.push(nf, receivedAt, String(tokenValue(text, t, DT_INDEX)), '');
  let raw = '[';
  for (let k = 0; k < KEY_COUNT; k++) {
    const token = text.slice(t.start[k], t.end[k]);
    raw += k === 0 ? token : ',' + token;
    if (k === DT_INDEX || k === NF_INDEX) continue;
    const value = t.isString[k] ? measurementOf(token.slice(1, -1)) : Number(token);
    if (value !== null && !Number.isFinite(value)) {
      out.length = base;
      return false;
    }
    out.push(value);
  }
  out[base + 3] = raw + ']';
  return true;
}

/** Reads a single-sample body into one encoded row, or null for the general path. */
export function scanSample(text: string, receivedAt: number): EncodedRows | null {
  const i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  const end = scanObject(text, i, scratch);
  if (end < 0 || skipSpace(text, end) !== text.length) return null;
  const out: EncodedRows = [];
  return encodeScanned(out, text, scratch, receivedAt) ? out : null;
}

/** Reads a batch body (1 to MAX_BATCH_SAMPLES samples) into encoded rows, or null for the general path. */
export function scanSampleBatch(text: string, receivedAt: number): EncodedRows | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return null;
  const out: EncodedRows = [];
  i = skipSpace(text, i + 1);
  for (;;) {
    if (text.charCodeAt(i) !== OPEN_BRACE || out.length >= MAX_BATCH_SAMPLES * ROW_WIDTH) return null;
    i = scanObject(text, i, scratch);
    if (i < 0 || !encodeScanned(out, text, scratch, receivedAt)) return null;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACKET) break;
    if (c !== COMMA) return null;
    i = skipSpace(text, i + 1);
  }
  return skipSpace(text, i + 1) === text.length ? out : null;
}
