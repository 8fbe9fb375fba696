import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/**
 * U+0000, or a UTF-16 surrogate without its partner: text PostgreSQL's UTF-8 columns
 * cannot hold (a NUL fails the statement, a lone surrogate is silently mangled). Built
 * without the `u` flag so it looks at code units, where a lone surrogate is visible.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What the rejection says, so a client learns which part of its request to fix. */
const REASON = 'contains text that cannot be stored (a NUL character or an unpaired UTF-16 surrogate)';

/** The part named when a path parameter holds unstorable text. */
const PATH = 'The path';

/** True when `text` holds a NUL or a lone surrogate, so it cannot be stored the same way on both dialects. */
export function hasUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * True when any string inside a parsed value (object keys included) is unstorable. Walks
 * with its own stack, since a 1 MiB body of nested arrays would overflow a recursive walk;
 * Buffers and other binary bodies are never looked into.
 */
export function holdsUnstorableText(value: unknown): boolean {
  const pending: unknown[] = [];
  let next: unknown = value;
  for (;;) {
    if (typeof next === 'string') {
      if (hasUnstorableText(next)) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) if (typeof item === 'string' || typeof item === 'object') pending.push(item);
    } else if (isParsedRecord(next)) {
      for (const key of Object.keys(next)) {
        if (hasUnstorableText(key)) return true;
        const item = next[key];
        if (typeof item === 'string' || typeof item === 'object') pending.push(item);
      }
    }
    if (pending.length === 0) return false;
    next = pending.pop();
  }
}

/** An object a parser built (JSON, query string, path parameters), as opposed to bytes or a stream. */
function isParsedRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  return typeof (value as { pipe?: unknown }).pipe !== 'function';
}

/**
 * The first part of a request carrying unstorable text, named for the client, or null.
 * Headers are not looked at: HTTP carries them as Latin-1, which holds neither, and the
 * credentials inside a Basic header only exist for the surface that decodes them (study
 * checks them there), so a surface that reads no Basic header answers one as any other
 * bad credential.
 */
export function unstorablePartOf(req: Pick<FastifyRequest, 'body' | 'query' | 'params'>): string | null {
  if (holdsUnstorableText(req.params)) return PATH;
  if (holdsUnstorableText(req.query)) return 'The query string';
  if (holdsUnstorableText(req.body)) return 'The request body';
  return null;
}

/**
 * The error every surface answers in its own shape for unstorable text in `part`: a bad
 * request, except in the path, where it names nothing that could exist (404, as any other
 * id no record can have, e.g. `/avatar/..%00/x.png`).
 */
export function unstorableTextError(part: string): AppError {
  return new AppError(part === PATH ? 'not_found' : 'bad_request', `${part} ${REASON}`);
}

/**
 * Refuses, once for every surface, a request whose parsed body, query or path parameters
 * hold text the database cannot store, before any handler passes it to SQL. Registered on the root instance, so every surface plugin inherits it; it runs
 * after body parsing and throws an AppError (see unstorableTextError), which each
 * surface's error funnel answers in its own shape and never logs as a failure.
 */
export function installInputGuard(http: FastifyInstance): void {
  http.addHook('preValidation', (req, _reply, done) => {
    const part = unstorablePartOf(req);
    done(part === null ? undefined : unstorableTextError(part));
  });
}
