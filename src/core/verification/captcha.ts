import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { safeEqual, sha256Hex } from '../../lib/crypto.js';
import type { App } from '../app.js';

/**
 * Image captchas: a short answer a human reads off a distorted PNG. Only a SHA-256 of the
 * lower-cased answer is kept in shared state, and the first check deletes it, right or
 * wrong, so one image buys exactly one guess.
 */

/** Characters a human cannot confuse with each other (no 0/O/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B). */
export const CAPTCHA_ALPHABET = 'ACDEFHJKMNPRTUVWXY3479';
/** Characters per captcha. */
export const CAPTCHA_LENGTH = 4;
/** Size of the rendered image in pixels. */
export const CAPTCHA_WIDTH = 120;
export const CAPTCHA_HEIGHT = 40;

// The shipped font, so rendering never depends on what the host has installed.
const FONT_FAMILY = 'StoaCaptchaMono';
const FONT_PATH = fileURLToPath(new URL('../../../assets/fonts/DejaVuSansMono-Bold.ttf', import.meta.url));
let fontRegistered = false;

function ensureFont(): void {
  if (fontRegistered) return;
  if (!GlobalFonts.registerFromPath(FONT_PATH, FONT_FAMILY)) {
    throw new Error(`captcha font could not be loaded from ${FONT_PATH}`);
  }
  fontRegistered = true;
}

/** Noise only needs to vary, not to be secret: the answer itself comes from crypto.randomInt. */
function between(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

function randomColor(minLight: number, maxLight: number): string {
  return `hsl(${Math.floor(between(0, 360))}, ${Math.floor(between(40, 80))}%, ${Math.floor(between(minLight, maxLight))}%)`;
}

/** A random answer of CAPTCHA_LENGTH characters from CAPTCHA_ALPHABET. */
export function generateCaptchaText(length = CAPTCHA_LENGTH): string {
  let text = '';
  for (let i = 0; i < length; i++) text += CAPTCHA_ALPHABET[randomInt(CAPTCHA_ALPHABET.length)];
  return text;
}

/**
 * Draws `text` as a PNG (CAPTCHA_WIDTH x CAPTCHA_HEIGHT): light background, each character
 * dark, rotated and shifted on its own, crossed by a few lines and sprinkled with dots, so
 * that it stays easy for a person and costs a script some effort.
 */
export function renderCaptcha(text: string): Buffer {
  ensureFont();
  const canvas = createCanvas(CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = randomColor(90, 97);
  ctx.fillRect(0, 0, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);

  // Background dots, drawn under the text.
  for (let i = 0; i < 60; i++) {
    ctx.fillStyle = randomColor(50, 80);
    ctx.beginPath();
    ctx.arc(between(0, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT), between(0.5, 1.5), 0, Math.PI * 2);
    ctx.fill();
  }

  const slot = (CAPTCHA_WIDTH - 16) / Math.max(1, text.length);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < text.length; i++) {
    ctx.save();
    ctx.translate(8 + slot * (i + 0.5) + between(-2, 2), CAPTCHA_HEIGHT / 2 + between(-3, 3));
    ctx.rotate(between(-0.35, 0.35));
    ctx.font = `${Math.floor(between(24, 29))}px ${FONT_FAMILY}`;
    ctx.fillStyle = randomColor(15, 35);
    ctx.fillText(text[i]!, 0, 0);
    ctx.restore();
  }

  // Lines over the text: thin enough not to hide a stroke.
  for (let i = 0; i < 3; i++) {
    ctx.strokeStyle = randomColor(45, 70);
    ctx.lineWidth = between(0.8, 1.4);
    ctx.beginPath();
    ctx.moveTo(between(0, CAPTCHA_WIDTH / 3), between(0, CAPTCHA_HEIGHT));
    ctx.bezierCurveTo(
      between(0, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT),
      between(0, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT),
      between((2 * CAPTCHA_WIDTH) / 3, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT),
    );
    ctx.stroke();
  }
  for (let i = 0; i < 30; i++) {
    ctx.fillStyle = randomColor(20, 60);
    ctx.fillRect(between(0, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT), 1.5, 1.5);
  }
  return canvas.toBuffer('image/png');
}

function captchaKey(id: string): string {
  return `captcha:${id}`;
}

function answerHash(answer: string): string {
  return sha256Hex(answer.trim().toLowerCase());
}

/**
 * Makes a new captcha for the client-chosen `id` and remembers only the hash of its answer
 * for CAPTCHA_TTL_S; a second issue for the same id replaces the first. `answer` is
 * returned for tests and must never be sent to the client or logged.
 */
export async function issueCaptcha(
  app: Pick<App, 'state' | 'config'>,
  id: string,
): Promise<{ png: Buffer; answer: string }> {
  const answer = generateCaptchaText();
  const png = renderCaptcha(answer);
  await app.state.kv.set(captchaKey(id), answerHash(answer), app.config.captchaTtlS * 1000);
  return { png, answer };
}

/**
 * Spends the captcha `id` on one guess: 'missing' when it expired, was never issued or was
 * already checked; otherwise it is deleted and the guess compared case-insensitively in
 * constant time.
 */
export async function checkCaptcha(
  app: Pick<App, 'state'>,
  id: string,
  answer: string,
): Promise<'missing' | 'wrong' | 'ok'> {
  const stored = await app.state.kv.take(captchaKey(id));
  if (stored === null) return 'missing';
  return safeEqual(stored, answerHash(answer)) ? 'ok' : 'wrong';
}
