import type { EnvReader } from '../config.js';

/**
 * Reads CORS_ORIGINS: a comma-separated list of browser origins (`scheme://host[:port]`,
 * http or https, no path, query or credentials) allowed to call the HTTP API from their own
 * pages. Each is kept in the form a browser sends in its `Origin` header (lower-case host,
 * no default port). `*` is refused: the iHome session routes answer with credentials, and a
 * browser sends cookies only to an origin that is named. Empty or unset: no origin at all.
 */
export function readCorsOrigins(r: EnvReader): string[] {
  const origins: string[] = [];
  for (const entry of (r.raw('CORS_ORIGINS') ?? '').split(',')) {
    const text = entry.trim();
    if (text === '') continue;
    const origin = originOf(text);
    if (origin === null) {
      r.problem(`CORS_ORIGINS: expected origins like http://localhost:7000 (scheme://host[:port], no path; * is not accepted), got "${text}"`);
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  }
  return origins;
}

/** The serialized origin of `text` when it names nothing more than an http(s) origin, else null. */
function originOf(text: string): string | null {
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(text)) return null;
  try {
    const url = new URL(text);
    if (url.username !== '' || url.password !== '') return null;
    return url.origin;
  } catch {
    return null;
  }
}
