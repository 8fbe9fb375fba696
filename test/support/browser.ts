import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually } from './eventually.js';
import { servicesRequired } from './services.js';

/** Debian's Chromium (`apt-get install chromium`); no browser is ever downloaded. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (ignored by git). */
export const RESULTS_DIR = path.resolve('test-results');

/** The two screen sizes every page is checked at. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;

/** Skip reason when Chromium is missing outside CI; under CI=true a missing browser fails the run. */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  if (servicesRequired) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (CI installs it with apt-get install chromium)`);
  return `Chromium not installed at ${CHROMIUM_PATH}`;
}

/**
 * Starts headless Chromium with the flags this machine needs: no sandbox (root), no GPU,
 * and no background networking (the closed network refuses it); with `fakeMedia`, a fake
 * camera and microphone. Playwright gives each launch a fresh, empty profile.
 */
export function launchBrowser(options: { fakeMedia?: boolean } = {}): Promise<Browser> {
  // A fake camera and microphone (a moving test pattern and a beep), granted without asking.
  const media = options.fakeMedia ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] : [];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...media,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page that records console errors and uncaught exceptions, so a test can assert there were none. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Every console error and page error so far. */
  errors: string[];
}

/** Opens a new context (its own cookies and storage: one "person") and a watched page in it. */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  viewport: { width: number; height: number } = VIEWPORTS[1],
): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: viewport.width, height: viewport.height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { page, context, errors };
}

/** Saves `<name>-390x844.png` and `<name>-1280x800.png` under test-results/, restoring the viewport after. */
export async function screenshotBothSizes(page: Page, name: string): Promise<string[]> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const original = page.viewportSize();
  const files: string[] = [];
  for (const size of VIEWPORTS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.waitForTimeout(150); // layout and charts follow the resize
    const file = path.join(RESULTS_DIR, `${name}-${size.width}x${size.height}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  if (original) await page.setViewportSize(original);
  return files;
}

/** Copies console/dist to a temporary folder, or null (nothing left behind) when the copy misses index.html or an asset it names. */
function copyConsoleOnce(): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-console-'));
  cpSync('console/dist', dir, { recursive: true });
  const html = existsSync(path.join(dir, 'index.html')) ? readFileSync(path.join(dir, 'index.html'), 'utf8') : '';
  const assets = [...html.matchAll(/"\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  if (assets.length > 0 && assets.every((a) => existsSync(path.join(dir, a)))) return dir;
  rmSync(dir, { recursive: true, force: true });
  return null;
}

/**
 * Copies console/dist to a temporary folder (for CONSOLE_DIR), so a rebuild elsewhere cannot
 * swap files mid-test; a copy taken during a rebuild is taken again.
 */
export function copyBuiltConsole(): Promise<string> {
  return eventually(copyConsoleOnce, { timeoutMs: 5000, intervalMs: 500, what: 'a complete console/dist (npm run build:console)' });
}

/**
 * Cheap accessibility checks on the visible page: every form control has a label, every
 * button and link a name, every image an alt, no positive tabindex, one h1. Returns the
 * problems found (empty when none).
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  // Sent as source text: the test runner's transpiler would add helpers the page does not have.
  return page.evaluate(AUDIT_SCRIPT) as Promise<string[]>;
}

const AUDIT_SCRIPT = `(() => {
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const show = (el) => el.outerHTML.slice(0, 120);
  const named = (el) =>
    (el.getAttribute('aria-label') ?? '').trim() !== '' ||
    el.hasAttribute('aria-labelledby') ||
    (el.textContent ?? '').trim() !== '' ||
    (el.getAttribute('title') ?? '').trim() !== '' ||
    [...el.querySelectorAll('img')].some((img) => (img.getAttribute('alt') ?? '').trim() !== '');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!visible(el) && el.type !== 'file') continue;
    if ((el.labels?.length ?? 0) === 0 && !el.hasAttribute('aria-label') && !el.hasAttribute('aria-labelledby')) {
      problems.push('control without a label: ' + show(el));
    }
  }
  for (const el of document.querySelectorAll('button, a[href], [role=button], [role=tab]')) {
    if (visible(el) && !named(el)) problems.push('control without a name: ' + show(el));
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('image without alt: ' + show(el));
  }
  for (const el of document.querySelectorAll('[tabindex]')) {
    if (Number(el.getAttribute('tabindex')) > 0) problems.push('positive tabindex: ' + show(el));
  }
  const headings = document.querySelectorAll('h1').length;
  if (headings !== 1) problems.push(headings + ' h1 elements (want 1)');
  return problems;
})()`;
