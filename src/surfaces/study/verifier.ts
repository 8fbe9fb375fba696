import type { Config } from '../../core/config.js';
import { AppError } from '../../core/errors.js';
import { STUDENT_SYSTEM_UNREACHABLE } from './wire.js';

/** What the school system said about a student id and its password. */
export type StudentCheck = 'accepted' | 'refused';

/**
 * Asks the school whether a student id and password belong together, so only real
 * students can register. An unreachable, slow or failing school system throws
 * AppError('unavailable'), never a false "refused". The password is only forwarded.
 */
export interface StudentVerifier {
  verify(studentId: string, studentPassword: string): Promise<StudentCheck>;
}

/** Development verifier: every well-formed id is accepted without asking anyone. */
export const acceptAnyStudent: StudentVerifier = {
  verify: async () => 'accepted',
};

/** How long the school system gets to answer unless told otherwise. */
export const DEFAULT_STUDENT_VERIFIER_TIMEOUT_MS = 5000;

/**
 * Posts `stu_id`/`stu_pwd` as a form to the school's login endpoint. Accepted when the
 * answer is 2xx and, if `okPattern` is set, its body matches it; a 5xx, a timeout or a
 * network error is "unavailable"; anything else is a refusal.
 */
export class HttpStudentVerifier implements StudentVerifier {
  private readonly ok: RegExp | null;
  private readonly timeoutMs: number;

  constructor(private readonly options: { url: string; okPattern?: string | null; timeoutMs?: number }) {
    this.ok = options.okPattern ? new RegExp(options.okPattern) : null;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_STUDENT_VERIFIER_TIMEOUT_MS;
  }

  async verify(studentId: string, studentPassword: string): Promise<StudentCheck> {
    let status: number;
    let body: string;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ stu_id: studentId, stu_pwd: studentPassword }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      // The body read shares the same deadline through the signal.
      body = await response.text();
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(err);
      throw unreachable(reason);
    }
    if (status >= 500) throw unreachable(`school system answered ${status}`);
    if (status < 200 || status >= 300) return 'refused';
    return this.ok && !this.ok.test(body) ? 'refused' : 'accepted';
  }
}

/** The verifier the configuration names (`STUDENT_VERIFIER`, `STUDENT_VERIFIER_URL`, `STUDENT_VERIFIER_OK`). */
export function studentVerifierFromConfig(config: Config['study']['studentVerifier']): StudentVerifier {
  if (config.kind === 'none') return acceptAnyStudent;
  return new HttpStudentVerifier({ url: config.url!, okPattern: config.okPattern, timeoutMs: config.timeoutMs });
}

function unreachable(reason: string): AppError {
  // Only the reason is kept: never the request, which carries the password.
  return new AppError('unavailable', STUDENT_SYSTEM_UNREACHABLE, { cause: new Error(reason) });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const code = (err.cause as { code?: string } | undefined)?.code;
  return code ? `${err.message} (${code})` : err.message;
}
