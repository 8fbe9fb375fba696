import type { EnvReader } from '../../core/config.js';

/** The web accounts surface's settings (the JWT lifetime is core's: every web surface checks those tokens). */
export interface AccountsConfig {
  /** Failed web logins per account and address a minute (WEB_LOGIN_ATTEMPTS_PER_MINUTE). */
  loginAttemptsPerMinute: number;
  /** The highest access level a sign-up grants itself without approval (SIGNUP_MAX_SELF_LEVEL). */
  signupMaxSelfLevel: number;
  /** Google's OpenID Connect client (GOOGLE_*). */
  google: {
    clientId: string | null;
    clientSecret: string | null;
    redirectUri: string | null;
    issuer: string;
  };
}

declare module '../../core/config.js' {
  interface ConfigSections {
    accounts: AccountsConfig;
  }
}

const HTTP = ['http:', 'https:'];

/** Reads the accounts section (WEB_LOGIN_ATTEMPTS_PER_MINUTE, SIGNUP_MAX_SELF_LEVEL, GOOGLE_*). */
export function readAccountsConfig(r: EnvReader): { accounts: AccountsConfig } {
  return {
    accounts: {
      loginAttemptsPerMinute: r.int('WEB_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      signupMaxSelfLevel: r.int('SIGNUP_MAX_SELF_LEVEL', 0, 0, 1_000_000),
      google: {
        clientId: r.optional('GOOGLE_CLIENT_ID'),
        clientSecret: r.optional('GOOGLE_CLIENT_SECRET'),
        redirectUri: r.url('GOOGLE_REDIRECT_URI', HTTP),
        issuer: r.url('GOOGLE_ISSUER', HTTP, 'https://accounts.google.com')!,
      },
    },
  };
}
