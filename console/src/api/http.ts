/** What every API call resolves to: the status and the parsed JSON body (null when there is none). */
export interface ApiResult<T = any> {
  status: number;
  ok: boolean;
  body: T;
}

/** Thrown only when the server cannot be reached at all; HTTP errors come back as results. */
export class NetworkError extends Error {}

type UnauthorizedWatcher = (sentAuthorization: string | null) => void;
let unauthorizedWatcher: UnauthorizedWatcher | null = null;

/**
 * Hears every 401 answer with the Authorization header that was sent, so the session
 * code can tell "the server ended my session" from a page's own failed token.
 */
export function watchUnauthorized(watcher: UnauthorizedWatcher | null): void {
  unauthorizedWatcher = watcher;
}

/** Options for one API call. */
export interface RequestOptions {
  json?: unknown;
  headers?: Record<string, string>;
  /** Multipart or other prepared body; wins over `json`. */
  body?: BodyInit;
  signal?: AbortSignal;
}

/**
 * Calls a Stoa API on this origin. Each surface keeps its own error shape, so pages read
 * `status` and `body` themselves; this never throws for a 4xx/5xx answer.
 */
export async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body = options.body;
  if (body === undefined && options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, signal: options.signal, credentials: 'same-origin' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new NetworkError('The server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 401) unauthorizedWatcher?.(headers.Authorization ?? null);
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
  }
  return { status: response.status, ok: response.ok, body: parsed as T };
}

/** The most useful human message in any surface's error body. */
export function errorMessage(body: any, fallback = 'Something went wrong'): string {
  if (!body || typeof body !== 'object') return fallback;
  const candidate =
    body.Error ?? body.errmsg ?? body.message ?? (typeof body.error === 'string' ? body.error : body.error?.message);
  return typeof candidate === 'string' && candidate !== '' ? candidate : fallback;
}
