import type { EnvReader } from '../../core/config.js';

/** The chat surface's settings. */
export interface ChatConfig {
  /** TCP chat port (SOCKET_PORT); 0 = any free port, -1 = off. */
  socketPort: number;
  /** The TCP chat port expects a PROXY protocol v1 header on every connection (SOCKET_PROXY_PROTOCOL, behind nginx `proxy_protocol on`). */
  socketProxyProtocol: boolean;
  tokenTtlS: number;
  maxMessageChars: number;
  /** How long a user's one-live-connection lease lasts without a refresh (CHAT_PRESENCE_LEASE_S). */
  presenceLeaseS: number;
  loginAttemptsPerMinute: number;
  registrationsPerHour: number;
  messagesPerMinute: number;
  avatarMaxBytes: number;
}

declare module '../../core/config.js' {
  interface ConfigSections {
    chat: ChatConfig;
  }
}

/** Reads the chat section (SOCKET_*, CHAT_*, AVATAR_MAX_BYTES). */
export function readChatConfig(r: EnvReader): { chat: ChatConfig } {
  return {
    chat: {
      socketPort: r.int('SOCKET_PORT', 8889, -1, 65535),
      socketProxyProtocol: r.bool('SOCKET_PROXY_PROTOCOL', false),
      tokenTtlS: r.int('CHAT_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
      maxMessageChars: r.int('CHAT_MAX_MESSAGE_CHARS', 4096, 1, 1024 * 1024),
      presenceLeaseS: r.int('CHAT_PRESENCE_LEASE_S', 30, 2, 3600),
      loginAttemptsPerMinute: r.int('CHAT_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
      registrationsPerHour: r.int('CHAT_REGISTRATIONS_PER_HOUR', 60, 1, 10_000_000),
      messagesPerMinute: r.int('CHAT_MESSAGES_PER_MINUTE', 120, 1, 10_000_000),
      avatarMaxBytes: r.int('AVATAR_MAX_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    },
  };
}
