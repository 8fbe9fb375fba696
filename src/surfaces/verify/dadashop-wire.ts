/**
 * Front end B's wire: `{"code":200,...}` on success, `{"code":<n>,"error":...}` otherwise.
 * The account routes carry `error` as `{"message"}`, the Weibo routes as a plain string,
 * exactly as the seed's pages read them. This is the one place those bodies are made.
 */
export const DADASHOP_ERRORS = {
  code_exists: [10111, 'code already existed', 200],
  code_wrong: [10112, 'code wrong', 200],
  invalid_phone: [10115, 'invalid phone', 200],
  too_many_requests: [10117, 'too many requests', 429],
  activation_invalid: [10118, 'activation link invalid or expired', 200],
} as const satisfies Record<string, readonly [number, string, number]>;

/** The Weibo routes' errors, whose `error` is a string. */
export const WEIBO_ERRORS = {
  no_code: [10112, 'Not code'],
  bad_state: [10112, 'state invalid or expired'],
  weibo_busy: [10113, 'weibo server is busy'],
  not_configured: [10113, 'weibo login is not configured'],
  database_error: [10114, 'database error'],
  bad_ticket: [10119, 'bind ticket invalid or expired'],
} as const satisfies Record<string, readonly [number, string]>;

/** A status and body to send. */
export interface DadashopReply {
  status: number;
  body: Record<string, unknown>;
}

/** An account-route error by name. */
export function dadashopError(name: keyof typeof DADASHOP_ERRORS): DadashopReply {
  const [code, message, status] = DADASHOP_ERRORS[name];
  return { status, body: { code, error: { message } } };
}

/** A 10115 (missing or malformed field) naming the field. */
export function invalidField(message: string): DadashopReply {
  return { status: 200, body: { code: 10115, error: { message } } };
}

/** 10116: the username, phone or e-mail is someone else's. */
export function takenField(field: string): DadashopReply {
  return { status: 200, body: { code: 10116, error: { message: `${field} already exists` } } };
}

/** A Weibo-route error by name. */
export function weiboError(name: keyof typeof WEIBO_ERRORS): DadashopReply {
  const [code, error] = WEIBO_ERRORS[name];
  return { status: 200, body: { code, error } };
}

