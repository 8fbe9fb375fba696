import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCorsOrigins } from './http/cors-origins.js';

/** The engine's own settings; each surface adds its section (see `ConfigSections`). */
export interface CoreConfig {
  host: string;
  port: number;
  dataDir: string;
  /** The built web console served from `/` (CONSOLE_DIR); null = no console. */
  consoleDir: string | null;
  /**
   * Where clients reach this server from outside (PUBLIC_URL, e.g. `https://stoa.example.com`):
   * the base of links sent by mail. Never taken from a request's Host header.
   */
  publicUrl: string | null;
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
  /** Browser origins whose pages may call the HTTP API and Socket.IO (CORS_ORIGINS); empty = no CORS. */
  corsOrigins: string[];
  bodyLimitBytes: number;
  jwtSecret: string | null;
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  /**
   * The realtime connections every surface shares (TCP, `/ws`, Socket.IO): a connection with
   * no frame for CHAT_IDLE_TIMEOUT_S is closed by a sweep every CHAT_SWEEP_INTERVAL_S; frames
   * over CHAT_MAX_FRAME_BYTES are refused; a client that lets CHAT_MAX_OUTGOING_BUFFER_BYTES
   * pile up unread is dropped.
   */
  realtime: { idleTimeoutS: number; sweepIntervalS: number; maxFrameBytes: number; maxOutgoingBufferBytes: number };
  smtpUrl: string | null;
  mailFrom: string;
  /** First wait before a failed mail is retried; each further retry waits twice as long. */
  mailRetryBaseMs: number;
  /** Delivery tries per mail in all (SMTP answers 4xx or is unreachable: try again later). */
  mailAttempts: number;
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
  /**
   * Failed password logins one client address may make a minute, over every surface together
   * (LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE); larger than a surface's per-account budget, since
   * several people can share one address.
   */
  loginAttemptsPerAddressPerMinute: number;
  /** Web tokens every web surface checks: the web JWT (WEB_JWT_TTL_S) and dadashop's JWT (DADASHOP_TOKEN_TTL_S). */
  web: { jwtTtlS: number; dadashopTokenTtlS: number };
}

/**
 * Each surface's settings, under its name: a surface declares its section in its own
 * config.ts (`declare module` on this interface) and reads it with a `ConfigSectionReader`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ConfigSections {}

/** Every setting Stoa reads, validated once at start-up and frozen afterwards. */
export type Config = CoreConfig & ConfigSections;

/** Reads one surface's section through the shared reader, which collects every problem. */
export type ConfigSectionReader = (r: EnvReader) => Partial<ConfigSections>;

/** Thrown when one or more variables are invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems while reading variables, so every bad one is reported together. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** Records a problem no single reading shows (a variable required by another's value). */
  problem(text: string): void {
    this.problems.push(text);
  }

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

/**
 * Reads and validates the environment: the engine's settings and every surface's section
 * (`sections`, one reader per surface); throws ConfigError naming every invalid variable.
 * The server's list of surfaces supplies `sections` (src/config.ts).
 */
export function readConfig(env: Env, sections: readonly ConfigSectionReader[]): Readonly<Config> {
  const r = new EnvReader(env);
  const core: CoreConfig = {
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 5000, 0, 65535),
    dataDir: path.resolve(r.string('DATA_DIR', './data')),
    consoleDir: consoleDirFrom(r.string('CONSOLE_DIR', DEFAULT_CONSOLE_DIR)),
    publicUrl: r.url('PUBLIC_URL', HTTP),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 20, 1, 1000),
    databaseSingleNode: r.bool('DATABASE_SINGLE_NODE', false),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: r.string('REDIS_PREFIX', 'stoa:'),
    nodeId: r.optional('NODE_ID'),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    nodeEnv: r.string('NODE_ENV', 'production'),
    trustProxy: r.bool('TRUST_PROXY', false),
    corsOrigins: readCorsOrigins(r),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    jwtSecret: r.optional('JWT_SECRET'),
    argon2: {
      memoryKib: r.int('ARGON2_MEMORY_KIB', 19456, 64, 4 * 1024 * 1024),
      timeCost: r.int('ARGON2_TIME_COST', 2, 1, 100),
      parallelism: r.int('ARGON2_PARALLELISM', 1, 1, 64),
    },
    realtime: {
      idleTimeoutS: r.int('CHAT_IDLE_TIMEOUT_S', 300, 1, 24 * 3600),
      sweepIntervalS: r.int('CHAT_SWEEP_INTERVAL_S', 60, 1, 3600),
      maxFrameBytes: r.int('CHAT_MAX_FRAME_BYTES', 64 * 1024, 256, 16 * 1024 * 1024),
      maxOutgoingBufferBytes: r.int('CHAT_MAX_OUTGOING_BUFFER_BYTES', 1024 * 1024, 4096, 256 * 1024 * 1024),
    },
    smtpUrl: r.url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: r.string('MAIL_FROM', 'Stoa <stoa@localhost>'),
    mailRetryBaseMs: r.int('MAIL_RETRY_BASE_MS', 1000, 1, 3_600_000),
    mailAttempts: r.int('MAIL_ATTEMPTS', 6, 1, 50),
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
    loginAttemptsPerAddressPerMinute: r.int('LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE', 30, 1, 1_000_000),
    web: {
      jwtTtlS: r.int('WEB_JWT_TTL_S', 300, 1, 365 * 24 * 3600),
      dadashopTokenTtlS: r.int('DADASHOP_TOKEN_TTL_S', 86400, 60, 365 * 24 * 3600),
    },
  };
  if (core.sms.provider === 'ronglian') {
    for (const name of ['RONGLIAN_ACCOUNT_SID', 'RONGLIAN_AUTH_TOKEN', 'RONGLIAN_APP_ID', 'RONGLIAN_TEMPLATE_ID']) {
      if (!r.raw(name)) r.problem(`${name}: required when SMS_PROVIDER=ronglian`);
    }
  }
  if (core.jwtSecret !== null && core.jwtSecret.length < 32) {
    r.problem('JWT_SECRET: must be at least 32 characters');
  }
  const config = Object.assign(core, ...sections.map((read) => read(r))) as Config;
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
