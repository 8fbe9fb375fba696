import { createHash, timingSafeEqual } from 'node:crypto';
import type { App } from '../../../core/app.js';
import { AppError } from '../../../core/errors.js';

/** The answer every missing or wrong ingest token gets (one text, so it tells nothing apart). */
export const INGEST_TOKEN_REFUSED = 'Missing or invalid ingest token';

/**
 * Refuses an ingest request whose `Authorization: Bearer <token>` does not match
 * INGEST_TOKEN, as AppError 'unauthorized' (the metrics 401 shape). Both sides are
 * compared as SHA-256 digests in constant time. Without INGEST_TOKEN every request passes.
 */
export function requireIngestToken(app: App, authorization: string | undefined): void {
  const expected = app.config.monitor.ingestTokenSha256;
  if (expected === null) return;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const offered = createHash('sha256').update(match?.[1] ?? '', 'utf8').digest();
  const equal = timingSafeEqual(offered, Buffer.from(expected, 'hex'));
  if (!match || !equal) throw new AppError('unauthorized', INGEST_TOKEN_REFUSED);
}
