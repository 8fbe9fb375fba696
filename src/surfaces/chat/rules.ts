/** Usernames the chat clients accept: 2-20 of `[A-Za-z0-9_!@#$%^&+-~?]`, not starting with a digit. */
export function isValidChatUsername(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z_!@#$%^&+\-~?][A-Za-z0-9_!@#$%^&+\-~?]{1,19}$/.test(value);
}

/**
 * An avatar name given at registration: a plain file name ending `.png` or `.jpg`
 * (as the seed required), with no path separators or control characters.
 */
export function isValidAvatarName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= 100 &&
    /\.(png|jpg)$/.test(value) &&
    !/[\\/\x00-\x1f]/.test(value) &&
    !value.startsWith('.')
  );
}

/** The default picture's file name and URL. */
export const DEFAULT_AVATAR_FILE = 'default_avatar.png';
export const DEFAULT_AVATAR_URL = `/avatar/default/${DEFAULT_AVATAR_FILE}`;

/** The URL clients fetch a user's avatar from; a user with none gets the default. */
export function avatarUrl(username: string, avatar: string | null): string {
  if (!avatar) return DEFAULT_AVATAR_URL;
  return `/avatar/${encodeURIComponent(username)}/${encodeURIComponent(avatar)}`;
}

/** Longest password accepted at registration, so hashing cost stays bounded. */
const MAX_PASSWORD_CHARS = 1024;

/** Why a registration password is refused (named for the client), or null when it is fine. */
export function passwordProblem(password: unknown): string | null {
  if (password === undefined || password === null) return 'Missing password';
  if (typeof password !== 'string') return 'Password must be a string';
  if (password.length === 0) return 'Password must not be empty';
  if (password.length > MAX_PASSWORD_CHARS) return `Password too long (at most ${MAX_PASSWORD_CHARS} characters)`;
  return null;
}

/** Why a chat message is refused, or null when it is fine. */
export function chatMessageProblem(message: unknown, maxChars: number): string | null {
  if (message === undefined || message === null) return 'Missing message';
  if (typeof message !== 'string') return 'Message must be a string';
  if (message.trim().length === 0) return 'Message must not be empty';
  if ([...message].length > maxChars) return `Message must be at most ${maxChars} characters`;
  return null;
}

/** Reads a token from `Authorization: <token>` or `Authorization: Bearer <token>`. */
export function tokenFromAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const value = header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  return bearer ? bearer[1]! : value.length > 0 ? value : null;
}
