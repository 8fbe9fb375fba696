/**
 * Front end A's wire: every answer is `{"errcode","errmsg"}` (plus `data` on some
 * successes), HTTP 200 unless stated. This table is the one place outcomes become
 * codes and messages, so a test can walk it row by row.
 */
export const IHOME_ANSWERS = {
  sms_sent: ['0', '发送成功'],
  registered: ['0', '注册成功'],
  logged_in: ['0', '登录成功'],
  logged_out: ['0', 'OK'],
  session_ok: ['0', 'true'],
  no_session: ['4101', 'false'],
  incomplete: ['4103', '参数不完整'],
  bad_param: ['4103', '参数错误'],
  bad_mobile: ['4103', '手机号格式错误'],
  password_mismatch: ['4103', '两次密码不一致'],
  captcha_missing: ['4002', '图片验证码已经过期'],
  captcha_wrong: ['4004', '图片验证码错误'],
  sms_code_expired: ['4002', '短信验证码已过期'],
  sms_code_wrong: ['4004', '短信验证码错误'],
  mobile_registered: ['4003', '手机号已经注册过'],
  name_taken: ['4003', '用户名已存在'],
  bad_credentials: ['4104', '用户名或密码错误'],
  not_activated: ['4104', '账号未激活，请先点击激活邮件中的链接'],
  sms_too_frequent: ['4201', '发送过于频繁'],
  login_too_frequent: ['4201', '错误次数过多，请稍后重试'],
  captcha_too_frequent: ['4201', '请求过于频繁，请稍后重试'],
  body_too_large: ['4103', '请求体过大'],
  server_error: ['4500', '内部错误'],
  db_error: ['4001', '数据库异常'],
} as const satisfies Record<string, readonly [string, string]>;

/** An outcome name of IHOME_ANSWERS. */
export type IhomeOutcome = keyof typeof IHOME_ANSWERS;

/** The iHome body for an outcome, with `data` when given. */
export function ihomeBody(outcome: IhomeOutcome, data?: object): Record<string, unknown> {
  const [errcode, errmsg] = IHOME_ANSWERS[outcome];
  return data === undefined ? { errcode, errmsg } : { errcode, errmsg, data };
}

