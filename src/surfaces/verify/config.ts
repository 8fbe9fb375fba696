import type { EnvReader } from '../../core/config.js';

/** The verify surface's settings (iHome and dadashop front ends, Weibo login). */
export interface VerifyConfig {
  /** iHome session lifetime, sliding (IHOME_SESSION_TTL_S). */
  ihomeSessionTtlS: number;
  /** Failed iHome logins per account (and per phone as typed) a minute (IHOME_LOGIN_ATTEMPTS_PER_MINUTE; core/auth/login-limits.ts). */
  loginAttemptsPerMinute: number;
  /** Captcha images one client address may fetch per minute (CAPTCHA_PER_IP_PER_MINUTE): each costs a render. */
  captchaPerIpPerMinute: number;
  /** Where dadashop's activation links point (ACTIVATION_BASE_URL); null = PUBLIC_URL's activation page (activation-links.ts). */
  activationBaseUrl: string | null;
  /** Weibo's OAuth client (WEIBO_*); the token exchange gives up after `timeoutMs`. */
  weibo: {
    clientId: string | null;
    clientSecret: string | null;
    redirectUri: string | null;
    authorizeUrl: string;
    tokenUrl: string;
    timeoutMs: number;
  };
}

declare module '../../core/config.js' {
  interface ConfigSections {
    verify: VerifyConfig;
  }
}

const HTTP = ['http:', 'https:'];

/** Reads the verify section (IHOME_*, CAPTCHA_PER_IP_PER_MINUTE, ACTIVATION_BASE_URL, WEIBO_*). */
export function readVerifyConfig(r: EnvReader): { verify: VerifyConfig } {
  return {
    verify: {
      ihomeSessionTtlS: r.int('IHOME_SESSION_TTL_S', 86400, 60, 365 * 24 * 3600),
      loginAttemptsPerMinute: r.int('IHOME_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      captchaPerIpPerMinute: r.int('CAPTCHA_PER_IP_PER_MINUTE', 30, 1, 1_000_000),
      activationBaseUrl: r.url('ACTIVATION_BASE_URL', HTTP),
      weibo: {
        clientId: r.optional('WEIBO_CLIENT_ID'),
        clientSecret: r.optional('WEIBO_CLIENT_SECRET'),
        redirectUri: r.url('WEIBO_REDIRECT_URI', HTTP),
        authorizeUrl: r.url('WEIBO_AUTHORIZE_URL', HTTP, 'https://api.weibo.com/oauth2/authorize')!,
        tokenUrl: r.url('WEIBO_TOKEN_URL', HTTP, 'https://api.weibo.com/oauth2/access_token')!,
        timeoutMs: r.int('WEIBO_TIMEOUT_MS', 5000, 100, 120_000),
      },
    },
  };
}
