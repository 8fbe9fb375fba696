import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every setting Stoa reads, validated once at start-up and frozen afterwards. */
export interface Config {
  host: string;
  port: number;
  /** TCP chat port; 0 = any free port, -1 = off. */
  socketPort: number;
  /** The TCP chat port expects a PROXY protocol v1 header on every connection (behind nginx `proxy_protocol on`). */
  socketProxyProtocol: boolean;
  dataDir: string;
  /** The built web console served from `/` (CONSOLE_DIR); null = no console. */
  consoleDir: string | null;
  /** Absent: SQLite file in dataDir. */
  databaseUrl: string | null;
  /** PostgreSQL connections this node keeps at most (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /**
   * DATABASE_SINGLE_NODE: this node is the only Stoa process using DATABASE_URL, so it may
   * serve hot reads from memory until it writes (changes made from outside: seen within 1 s).
   */
  databaseSingleNode: boolean;
  /** Absent: in-process shared state. */
  redisUrl: string | null;
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  redisPrefix: string;
  nodeId: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  nodeEnv: string;
  trustProxy: boolean;
  bodyLimitBytes: number;
  jwtSecret: string | null;
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  chat: {
    tokenTtlS: number;
    idleTimeoutS: number;
    sweepIntervalS: number;
    maxFrameBytes: number;
    maxOutgoingBufferBytes: number;
    maxMessageChars: number;
    presenceLeaseS: number;
    loginAttemptsPerMinute: number;
    registrationsPerHour: number;
    messagesPerMinute: number;
    avatarMaxBytes: number;
  };
  smtpUrl: string | null;
  mailFrom: string;
  /** First wait before a failed mail is retried; each further retry waits twice as long. */
  mailRetryBaseMs: number;
  /** Delivery tries per mail in all (SMTP answers 4xx or is unreachable: try again later). */
  mailAttempts: number;
  alertEmails: string[];
  /** How often the monitor's alert rules are evaluated (once per cluster). */
  alertEvalIntervalS: number;
  sms: {
    provider: 'console' | 'ronglian';
    ronglianBaseUrl: string;
    ronglianAccountSid: string | null;
    ronglianAuthToken: string | null;
    ronglianAppId: string | null;
    ronglianTemplateId: string | null;
    /** Seconds between two sends to one phone (SMS_PER_PHONE_INTERVAL_S). */
    perPhoneIntervalS: number;
    /** Sends per phone per day (SMS_PER_PHONE_DAILY). */
    perPhoneDaily: number;
    /** Sends per client IP per hour (SMS_PER_IP_HOURLY). */
    perIpHourly: number;
    /** Sends per day across all phones (SMS_GLOBAL_DAILY). */
    globalDaily: number;
    /** First retry delay of a failed send; doubles each attempt (SMS_RETRY_BASE_MS). */
    retryBaseMs: number;
    /** Ronglian request timeout (RONGLIAN_TIMEOUT_MS). */
    ronglianTimeoutMs: number;
  };
  /** Lifetime of an image captcha answer (CAPTCHA_TTL_S). */
  captchaTtlS: number;
  /** Captcha images one client address may fetch per minute (CAPTCHA_PER_IP_PER_MINUTE): each costs a render. */
  captchaPerIpPerMinute: number;
  weibo: {
    clientId: string | null;
    clientSecret: string | null;
    redirectUri: string | null;
    authorizeUrl: string;
    tokenUrl: string;
  };
  google: {
    clientId: string | null;
    clientSecret: string | null;
    redirectUri: string | null;
    issuer: string;
  };
  /** Monitor/live web accounts: JWT lifetime, failed-login budget, highest level a sign-up grants itself. */
  web: { jwtTtlS: number; loginAttemptsPerMinute: number; signupMaxSelfLevel: number };
  activationBaseUrl: string | null;
  studentVerifier: { kind: 'none' | 'http'; url: string | null; okPattern: string | null; timeoutMs: number };
  /** Study: token lifetime (STUDY_TOKEN_TTL_S); Basic-auth password tries per address and name a minute (STUDY_LOGIN_ATTEMPTS_PER_MINUTE). */
  study: { tokenTtlS: number; loginAttemptsPerMinute: number };
  /**
   * Verify surface: iHome session lifetime (IHOME_SESSION_TTL_S, sliding), dadashop JWT
   * lifetime (DADASHOP_TOKEN_TTL_S, 1 day), iHome logins per IP and phone per minute
   * (IHOME_LOGIN_ATTEMPTS_PER_MINUTE), Weibo token-exchange timeout (WEIBO_TIMEOUT_MS).
   */
  verify: { ihomeSessionTtlS: number; dadashopTokenTtlS: number; loginAttemptsPerMinute: number; weiboTimeoutMs: number };
  /** Live streaming: the long-stream alert threshold, the watch-heartbeat lifetime, how often the alert check runs. */
  live: { alertAfterS: number; watchTtlS: number; alertCheckIntervalS: number };
  /** Metrics samples older than this many seconds are deleted (METRICS_RETENTION, default 30 days). */
  metricsRetentionS: number;
}

/** Thrown when one or more variables are invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems while reading variables, so every bad one is reported together. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | null {
    return this.raw(name) ?? null;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}: expected true or false, got "${value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, protocols: string[], fallback: string | null = null): string | null {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name}: expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
        return fallback;
      }
      return value;
    } catch {
      this.problems.push(`${name}: not a valid URL`);
      return fallback;
    }
  }

  /** Seconds, given as a plain number of seconds or with a unit: `90s`, `15m`, `12h`, `30d`. */
  duration(name: string, fallbackS: number, minS: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallbackS;
    const match = /^(\d+)\s*([smhd]?)$/i.exec(value);
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[(match?.[2] ?? '').toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
    const seconds = match ? Number(match[1]) * unit : NaN;
    if (!Number.isSafeInteger(seconds) || seconds < minS) {
      this.problems.push(`${name}: expected a duration of at least ${minS} s (e.g. 3600, 12h, 30d), got "${value}"`);
      return fallbackS;
    }
    return seconds;
  }

  regex(name: string): string | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    try {
      new RegExp(value);
      return value;
    } catch {
      this.problems.push(`${name}: not a valid regular expression`);
      return null;
    }
  }
}

const HTTP = ['http:', 'https:'];

/** The console build inside this package (`npm run build:console`), wherever the server is started from. */
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

/** `CONSOLE_DIR=off` (or empty) serves no console; anything else is a folder path. */
function consoleDirFrom(value: string): string | null {
  return value === '' || value === 'off' ? null : path.resolve(value);
}

/** Reads and validates the environment; throws ConfigError naming every invalid variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const r = new EnvReader(env);
  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);
  const config: Config = {
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 5000, 0, 65535),
    socketPort: r.int('SOCKET_PORT', 8889, -1, 65535),
    socketProxyProtocol: r.bool('SOCKET_PROXY_PROTOCOL', false),
    dataDir: path.resolve(r.string('DATA_DIR', './data')),
    consoleDir: consoleDirFrom(r.string('CONSOLE_DIR', DEFAULT_CONSOLE_DIR)),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 20, 1, 1000),
    databaseSingleNode: r.bool('DATABASE_SINGLE_NODE', false),
    redisUrl,
    redisPrefix: r.string('REDIS_PREFIX', 'stoa:'),
    nodeId: r.optional('NODE_ID'),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    nodeEnv: r.string('NODE_ENV', 'production'),
    trustProxy: r.bool('TRUST_PROXY', false),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    jwtSecret: r.optional('JWT_SECRET'),
    argon2: {
      memoryKib: r.int('ARGON2_MEMORY_KIB', 19456, 64, 4 * 1024 * 1024),
      timeCost: r.int('ARGON2_TIME_COST', 2, 1, 100),
      parallelism: r.int('ARGON2_PARALLELISM', 1, 1, 64),
    },
    chat: {
      tokenTtlS: r.int('CHAT_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
      idleTimeoutS: r.int('CHAT_IDLE_TIMEOUT_S', 300, 1, 24 * 3600),
      sweepIntervalS: r.int('CHAT_SWEEP_INTERVAL_S', 60, 1, 3600),
      maxFrameBytes: r.int('CHAT_MAX_FRAME_BYTES', 64 * 1024, 256, 16 * 1024 * 1024),
      maxOutgoingBufferBytes: r.int('CHAT_MAX_OUTGOING_BUFFER_BYTES', 1024 * 1024, 4096, 256 * 1024 * 1024),
      maxMessageChars: r.int('CHAT_MAX_MESSAGE_CHARS', 4096, 1, 1024 * 1024),
      presenceLeaseS: r.int('CHAT_PRESENCE_LEASE_S', 30, 2, 3600),
      loginAttemptsPerMinute: r.int('CHAT_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      registrationsPerHour: r.int('CHAT_REGISTRATIONS_PER_HOUR', 60, 1, 10_000_000),
      messagesPerMinute: r.int('CHAT_MESSAGES_PER_MINUTE', 120, 1, 10_000_000),
      avatarMaxBytes: r.int('AVATAR_MAX_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    },
    smtpUrl: r.url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: r.string('MAIL_FROM', 'Stoa <stoa@localhost>'),
    mailRetryBaseMs: r.int('MAIL_RETRY_BASE_MS', 1000, 1, 3_600_000),
    mailAttempts: r.int('MAIL_ATTEMPTS', 6, 1, 50),
    alertEmails: (r.optional('ALERT_EMAILS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    alertEvalIntervalS: r.int('ALERT_EVAL_INTERVAL_S', 10, 1, 3600),
    sms: {
      provider: r.oneOf('SMS_PROVIDER', 'console', ['console', 'ronglian'] as const),
      ronglianBaseUrl: r.url('RONGLIAN_BASE_URL', HTTP, 'https://app.cloopen.com:8883')!,
      ronglianAccountSid: r.optional('RONGLIAN_ACCOUNT_SID'),
      ronglianAuthToken: r.optional('RONGLIAN_AUTH_TOKEN'),
      ronglianAppId: r.optional('RONGLIAN_APP_ID'),
      ronglianTemplateId: r.optional('RONGLIAN_TEMPLATE_ID'),
      perPhoneIntervalS: r.int('SMS_PER_PHONE_INTERVAL_S', 60, 1, 24 * 3600),
      perPhoneDaily: r.int('SMS_PER_PHONE_DAILY', 10, 1, 1_000_000),
      perIpHourly: r.int('SMS_PER_IP_HOURLY', 20, 1, 10_000_000),
      globalDaily: r.int('SMS_GLOBAL_DAILY', 10000, 1, 1_000_000_000),
      retryBaseMs: r.int('SMS_RETRY_BASE_MS', 1000, 1, 3_600_000),
      ronglianTimeoutMs: r.int('RONGLIAN_TIMEOUT_MS', 5000, 100, 120_000),
    },
    captchaTtlS: r.int('CAPTCHA_TTL_S', 180, 1, 24 * 3600),
    captchaPerIpPerMinute: r.int('CAPTCHA_PER_IP_PER_MINUTE', 30, 1, 1_000_000),
    weibo: {
      clientId: r.optional('WEIBO_CLIENT_ID'),
      clientSecret: r.optional('WEIBO_CLIENT_SECRET'),
      redirectUri: r.url('WEIBO_REDIRECT_URI', HTTP),
      authorizeUrl: r.url('WEIBO_AUTHORIZE_URL', HTTP, 'https://api.weibo.com/oauth2/authorize')!,
      tokenUrl: r.url('WEIBO_TOKEN_URL', HTTP, 'https://api.weibo.com/oauth2/access_token')!,
    },
    google: {
      clientId: r.optional('GOOGLE_CLIENT_ID'),
      clientSecret: r.optional('GOOGLE_CLIENT_SECRET'),
      redirectUri: r.url('GOOGLE_REDIRECT_URI', HTTP),
      issuer: r.url('GOOGLE_ISSUER', HTTP, 'https://accounts.google.com')!,
    },
    web: {
      jwtTtlS: r.int('WEB_JWT_TTL_S', 300, 1, 365 * 24 * 3600),
      loginAttemptsPerMinute: r.int('WEB_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      signupMaxSelfLevel: r.int('SIGNUP_MAX_SELF_LEVEL', 0, 0, 1_000_000),
    },
    activationBaseUrl: r.url('ACTIVATION_BASE_URL', HTTP),
    studentVerifier: {
      kind: r.oneOf('STUDENT_VERIFIER', 'none', ['none', 'http'] as const),
      url: r.url('STUDENT_VERIFIER_URL', HTTP),
      okPattern: r.regex('STUDENT_VERIFIER_OK'),
      timeoutMs: r.int('STUDENT_VERIFIER_TIMEOUT_MS', 5000, 100, 120_000),
    },
    study: {
      tokenTtlS: r.int('STUDY_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
      loginAttemptsPerMinute: r.int('STUDY_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
    },
    verify: {
      ihomeSessionTtlS: r.int('IHOME_SESSION_TTL_S', 86400, 60, 365 * 24 * 3600),
      dadashopTokenTtlS: r.int('DADASHOP_TOKEN_TTL_S', 86400, 60, 365 * 24 * 3600),
      loginAttemptsPerMinute: r.int('IHOME_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      weiboTimeoutMs: r.int('WEIBO_TIMEOUT_MS', 5000, 100, 120_000),
    },
    live: {
      alertAfterS: r.int('LIVE_ALERT_AFTER_S', 21600, 1, 365 * 24 * 3600),
      watchTtlS: r.int('LIVE_WATCH_TTL_S', 30, 1, 3600),
      alertCheckIntervalS: r.int('LIVE_ALERT_CHECK_INTERVAL_S', 60, 1, 24 * 3600),
    },
    metricsRetentionS: r.duration('METRICS_RETENTION', 30 * 86400, 60),
  };
  if (config.sms.provider === 'ronglian') {
    for (const name of ['RONGLIAN_ACCOUNT_SID', 'RONGLIAN_AUTH_TOKEN', 'RONGLIAN_APP_ID', 'RONGLIAN_TEMPLATE_ID']) {
      if (!r.raw(name)) r.problems.push(`${name}: required when SMS_PROVIDER=ronglian`);
    }
  }
  if (config.studentVerifier.kind === 'http' && !config.studentVerifier.url) {
    r.problems.push('STUDENT_VERIFIER_URL: required when STUDENT_VERIFIER=http');
  }
  if (config.jwtSecret !== null && config.jwtSecret.length < 32) {
    r.problems.push('JWT_SECRET: must be at least 32 characters');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
