import type { EnvReader } from '../../core/config.js';

/** The study surface's settings. */
export interface StudyConfig {
  /** Study token lifetime (STUDY_TOKEN_TTL_S). */
  tokenTtlS: number;
  /** Failed Basic-auth password tries per account (and per name as typed) a minute (STUDY_LOGIN_ATTEMPTS_PER_MINUTE; core/auth/login-limits.ts). */
  loginAttemptsPerMinute: number;
  /** The school system that confirms a student at registration (STUDENT_VERIFIER, _URL, _OK, _TIMEOUT_MS). */
  studentVerifier: { kind: 'none' | 'http'; url: string | null; okPattern: string | null; timeoutMs: number };
}

declare module '../../core/config.js' {
  interface ConfigSections {
    study: StudyConfig;
  }
}

/** Reads the study section (STUDY_*, STUDENT_VERIFIER*). */
export function readStudyConfig(r: EnvReader): { study: StudyConfig } {
  const study: StudyConfig = {
    tokenTtlS: r.int('STUDY_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
    loginAttemptsPerMinute: r.int('STUDY_LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 1_000_000),
    studentVerifier: {
      kind: r.oneOf('STUDENT_VERIFIER', 'none', ['none', 'http'] as const),
      url: r.url('STUDENT_VERIFIER_URL', ['http:', 'https:']),
      okPattern: r.regex('STUDENT_VERIFIER_OK'),
      timeoutMs: r.int('STUDENT_VERIFIER_TIMEOUT_MS', 5000, 100, 120_000),
    },
  };
  if (study.studentVerifier.kind === 'http' && !study.studentVerifier.url) {
    r.problem('STUDENT_VERIFIER_URL: required when STUDENT_VERIFIER=http');
  }
  return { study };
}
