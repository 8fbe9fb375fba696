import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomHex } from '../../lib/crypto.js';
import { DEFAULT_AVATAR_FILE } from './rules.js';

/** The default picture shipped with Stoa. */
export const DEFAULT_AVATAR_PATH = fileURLToPath(new URL('../../../assets/default_avatar.png', import.meta.url));

/** Where user pictures live: `<DATA_DIR>/avatars/<username>/<file>`. */
export function avatarRoot(dataDir: string): string {
  return path.join(dataDir, 'avatars');
}

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg' };

/** A file to send: its path and content type. */
export interface AvatarFile {
  path: string;
  contentType: string;
}

/**
 * Resolves `/avatar/<username>/<filename>` to a file inside the avatar folder, or the
 * default picture when there is none. Returns null for names that try to leave the
 * folder (`..`, separators, NUL), which the route answers with 404.
 */
export async function resolveAvatarFile(dataDir: string, username: string, filename: string): Promise<AvatarFile | null> {
  const unsafe = (part: string) => part === '' || part === '.' || part === '..' || /[\\/\x00]/.test(part);
  if (unsafe(username) || unsafe(filename)) return null;
  const fallback = { path: DEFAULT_AVATAR_PATH, contentType: 'image/png' };
  if (username === 'default' && filename === DEFAULT_AVATAR_FILE) return fallback;
  const contentType = CONTENT_TYPES[path.extname(filename).toLowerCase()];
  if (!contentType) return fallback;
  const root = avatarRoot(dataDir);
  const candidate = path.resolve(root, username, filename);
  if (path.relative(root, candidate).startsWith('..') || path.dirname(path.dirname(candidate)) !== root) return null;
  try {
    const info = await stat(candidate);
    return info.isFile() ? { path: candidate, contentType } : fallback;
  } catch {
    return fallback;
  }
}

/** Opens a resolved avatar for streaming. */
export function openAvatar(file: AvatarFile): NodeJS.ReadableStream {
  return createReadStream(file.path);
}

/** The picture type from its first bytes, or null when it is neither PNG nor JPEG. */
export function detectImageType(bytes: Buffer): '.png' | '.jpg' | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return '.png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return '.jpg';
  return null;
}

const UPLOADED_NAME = /^u-[0-9a-f]{16}\.(png|jpg)$/;

/**
 * Writes an uploaded picture under the user's folder (temporary file, then rename, so a
 * reader never sees half a picture) and returns its new file name. The previous upload,
 * if any, is removed.
 */
export async function storeUploadedAvatar(
  dataDir: string,
  username: string,
  bytes: Buffer,
  extension: '.png' | '.jpg',
  previous: string | null,
): Promise<string> {
  const folder = path.join(avatarRoot(dataDir), username);
  await mkdir(folder, { recursive: true });
  const name = `u-${randomHex(8)}${extension}`;
  const temporary = path.join(folder, `.${name}.tmp`);
  await writeFile(temporary, bytes, { mode: 0o644 });
  await rename(temporary, path.join(folder, name));
  if (previous && UPLOADED_NAME.test(previous)) await unlink(path.join(folder, previous)).catch(() => {});
  return name;
}
