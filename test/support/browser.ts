import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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
 * and no background networking (the closed network refuses it). Playwright gives each
 * launch a fresh, empty profile.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
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
export async function openPage(browser: Browser, baseUrl: string, viewport = VIEWPORTS[1]): Promise<WatchedPage> {
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

/** Copies console/dist to a temporary folder (for CONSOLE_DIR), so a rebuild elsewhere cannot swap files mid-test. */
export async function copyBuiltConsole(): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-console-'));
    cpSync('console/dist', dir, { recursive: true });
    const html = existsSync(path.join(dir, 'index.html')) ? readFileSync(path.join(dir, 'index.html'), 'utf8') : '';
    const assets = [...html.matchAll(/"\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    if (assets.length > 0 && assets.every((a) => existsSync(path.join(dir, a)))) return dir;
    rmSync(dir, { recursive: true, force: true });
    if (attempt === 10) throw new Error('console/dist is not built (npm run build:console)');
    await new Promise((r) => setTimeout(r, 500));
  }
}
