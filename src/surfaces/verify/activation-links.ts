import { isIP } from 'node:net';
import type { App } from '../../core/app.js';
import { AppError } from '../../core/errors.js';
import { consoleIsServed } from '../../core/http/console-assets.js';

/** The path an activation link opens: the console's activation page when it is served, else the JSON endpoint. */
function activationPath(app: App): string {
  return consoleIsServed(app) ? '/activate' : '/v1/users/activation';
}

/** True when the server listens on loopback only, so only this machine can follow a link to it. */
function boundToLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Where activation links point, built only from configuration, never from a request's Host
 * header (which a client may forge to put its own domain in the mail): ACTIVATION_BASE_URL;
 * else PUBLIC_URL with the activation path; else, for a server bound to loopback only (a
 * laptop, the quick start), its own address and the port the request came in on. Null when
 * none applies: activation mail is then refused.
 */
export function activationBase(app: App, localPort: number | undefined): string | null {
  const { config } = app;
  if (config.verify.activationBaseUrl) return config.verify.activationBaseUrl;
  if (config.publicUrl) return new URL(activationPath(app).slice(1), config.publicUrl.endsWith('/') ? config.publicUrl : `${config.publicUrl}/`).toString();
  if (boundToLoopback(config.host) && localPort) {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return `http://${host}:${localPort}${activationPath(app)}`;
  }
  return null;
}

/** `activationBase`, or an `unavailable` error (the front end's 503) before any account is made. */
export function requireActivationBase(app: App, localPort: number | undefined): string {
  const base = activationBase(app, localPort);
  if (base === null) throw new AppError('unavailable', 'activation links need PUBLIC_URL or ACTIVATION_BASE_URL');
  return base;
}

/** True when activation links can be built without a request (for the start-up warning). */
export function activationLinksConfigured(app: App): boolean {
  return Boolean(app.config.verify.activationBaseUrl || app.config.publicUrl || boundToLoopback(app.config.host));
}
