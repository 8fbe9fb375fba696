import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import type { MailMessage } from '../../src/core/mail/types.js';
import { findUserByUsername, updateAccessLevel } from '../../src/core/users/user-repo.js';
import { storeCode } from '../../src/core/verification/codes.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { DADASHOP_SMS_PURPOSE } from '../../src/surfaces/verify/dadashop-service.js';
import { browserSkip, copyBuiltConsole, launchBrowser, openPage, screenshotBothSizes } from '../support/browser.js';
import { http } from '../support/clients.js';
import { eventually } from '../support/eventually.js';
import { startFakeWeibo, type FakeWeibo } from '../support/fake-weibo.js';
import { createTestDatabase, type TestDatabase } from '../support/stoa.js';

const skip = browserSkip();

/** Fills the sign-in form and submits it with Enter. */
async function signInWith(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/#/signin');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

describe('console accounts: sign-in, registration, activation', { skip }, () => {
  let db: TestDatabase;
  let server: RunningServer;
  let baseUrl: string;
  let browser: Browser;
  let consoleDir: string;
  let weibo: FakeWeibo;
  /** Everything the server logged: the console SMS provider writes each code here. */
  const logLines: string[] = [];
  const outbox: MailMessage[] = [];

  /** The newest code the console SMS provider "sent" to `phone`. */
  const smsCodeFor = (phone: string) =>
    eventually(() => {
      const pattern = new RegExp(`sms to ${phone} code (\\d+)`);
      for (const line of [...logLines].reverse()) {
        const match = pattern.exec(line);
        if (match) return match[1];
      }
      return undefined;
    }, { what: `a text to ${phone}` });

  before(async () => {
    db = await createTestDatabase('sqlite');
    weibo = await startFakeWeibo();
    // A private copy of the built console, so a rebuild elsewhere cannot swap files mid-test.
    consoleDir = await copyBuiltConsole();
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      SOCKET_PORT: '-1',
      LOG_LEVEL: 'info',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      NODE_ENV: 'test',
      SMS_RETRY_BASE_MS: '10',
      MAIL_RETRY_BASE_MS: '10',
      // Refresh comes a minute before expiry: with 65 s it is due ~5 s after sign-in.
      WEB_JWT_TTL_S: '65',
      CONSOLE_DIR: consoleDir,
      ...weibo.env,
      ...db.env,
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    server = await startServer(config, {
      log: pino({ level: 'info' }, sink),
      mailer: { kind: 'log', send: async (m) => void outbox.push(m), close: async () => {} },
    });
    baseUrl = server.httpUrl;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
    await weibo?.close();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it('registers by phone: captcha, code with a countdown, then signed in on the overview', async () => {
    const { page, context, errors } = await openPage(browser, baseUrl);
    const mobile = '13812340001';
    const firstCaptcha = page.waitForResponse((r) => r.url().includes('/api/v1.0/image_codes/'));
    await page.goto('/#/register');
    await page.getByRole('tab', { name: 'Phone number' }).click();
    assert.equal(await page.getByRole('tab', { name: 'Phone number' }).getAttribute('aria-selected'), 'true');
    const answer = (await firstCaptcha).headers()['x-test-captcha-answer'];
    assert.match(answer ?? '', /^[A-Z0-9]{4}$/);
    await page.getByLabel('Mobile number').fill(mobile);

    // A wrong answer shows the server's message and a new picture.
    const second = page.waitForResponse((r) => r.url().includes('/api/v1.0/image_codes/'));
    await page.getByLabel('Characters in the picture').fill(answer === 'AAAA' ? 'BBBB' : 'AAAA');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('alert').filter({ hasText: '图片验证码错误' }).waitFor();
    const answer2 = (await second).headers()['x-test-captcha-answer']!;

    await page.getByLabel('Characters in the picture').fill(answer2);
    await page.getByRole('button', { name: 'Send code' }).click();
    const resend = page.getByRole('button', { name: /^Resend in \d+ s$/ });
    await resend.waitFor();
    assert.equal(await resend.isDisabled(), true);
    await screenshotBothSizes(page, 'register-phone');

    await page.getByLabel('SMS code').fill(await smsCodeFor(mobile));
    await page.getByLabel('Password', { exact: true }).fill('phone-pass-1');
    await page.getByLabel('Confirm password').fill('phone-pass-1');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/#\/$/);
    await page.getByRole('heading', { name: `Hello, ${mobile}` }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('signs up with a username, signs in, refuses a wrong password, keeps the JWT fresh', async () => {
    const { page, context, errors } = await openPage(browser, baseUrl);
    await page.goto('/#/register');
    await page.getByLabel('Username', { exact: true }).fill('wanda');
    await page.getByLabel('E-mail', { exact: true }).fill('wanda@example.com');
    await page.getByLabel('Phone', { exact: true }).fill('13812340002');
    await page.getByLabel('Password', { exact: true }).fill('wanda-pass-1');
    await page.getByLabel('Confirm password').fill('wanda-pass-1');
    await page.getByLabel('Confirm password').press('Enter');
    await page.getByRole('heading', { name: 'Hello, wanda' }).waitFor();
    await screenshotBothSizes(page, 'home');
    // Cards lead to each part; no Admin for a level-0 user.
    for (const name of ['Chat', 'Monitor', 'Live', 'Study']) assert.equal(await page.locator('.home-cards').getByRole('link', { name }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);

    // A level change ends the sessions signed before it (their token carries the old level):
    // the console's next refresh is refused and it asks to sign in again. Signed in anew,
    // wanda (raised to 9) sees the Admin link, and the new JWT is refreshed about a minute
    // before it expires (65 s here).
    const app = server.app;
    const wandaId = (await findUserByUsername(app.db, 'wanda'))!.id;
    await updateAccessLevel(app.db, wandaId, 9);
    await page.getByText('Your session ended, sign in again').waitFor({ timeout: 15_000 });
    await signInWith(page, 'wanda', 'wanda-pass-1');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).waitFor();
    const token = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('stoa.session') ?? '{}').webToken as string);
    const first = await token();
    await page.waitForFunction((old) => JSON.parse(sessionStorage.getItem('stoa.session') ?? '{}').webToken !== old, first, { timeout: 15_000 });
    const fresh = await token();
    assert.equal((await http(baseUrl, 'POST', '/user/token/refresh', { headers: { authorization: `JWT ${fresh}` } })).status, 200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/signin/);
    await updateAccessLevel(app.db, wandaId, 0);
    await signInWith(page, 'wanda', 'not-her-password');
    await page.getByRole('alert').filter({ hasText: 'Invalid credentials' }).waitFor();
    await screenshotBothSizes(page, 'signin');
    await page.getByLabel('Password', { exact: true }).fill('wanda-pass-1');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Hello, wanda' }).waitFor();
    // Phone number works as the name too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInWith(page, '13812340002', 'wanda-pass-1');
    await page.getByRole('heading', { name: 'Hello, wanda' }).waitFor();

    // The server ends the session (logout elsewhere): the next web call returns to sign-in.
    const current = await token();
    await http(baseUrl, 'POST', '/user/logout', { headers: { authorization: `JWT ${current}` } });
    await page.goto('/#/chat');
    await page.evaluate((t) => fetch('/user/token/refresh', { method: 'POST', headers: { Authorization: `JWT ${t}` } }).then(() => {}), current);
    await page.getByText('Your session ended, sign in again').waitFor();
    assert.match(page.url(), /#\/signin\?next=%2Fchat/);
    assert.deepEqual(errors.filter((e) => !/status of 40[01]/.test(e)), []);
    await context.close();
  });

  it('activates an account from the e-mailed link, and refuses a used one', async () => {
    const app = server.app;
    await storeCode(app, DADASHOP_SMS_PURPOSE, '13812340003', '1234', 180);
    const res = await http(baseUrl, 'POST', '/v1/users', {
      body: { uname: 'dora', password: 'dora-pass-1', phone: '13812340003', email: 'dora@example.com', verify: '1234' },
    });
    assert.equal(res.body.code, 200, JSON.stringify(res.body));
    const mail = await eventually(() => outbox.find((m) => m.text.includes('您好 dora')), { what: 'the activation mail' });
    const link = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
    // With the console served and ACTIVATION_BASE_URL unset, the link opens the console page.
    assert.equal(`${link.origin}${link.pathname}`, `${baseUrl}/activate`);

    const { page, context, errors } = await openPage(browser, baseUrl);
    // Not activated yet: sign-in says so.
    await signInWith(page, 'dora', 'dora-pass-1');
    await page.getByRole('alert').filter({ hasText: 'not activated yet' }).waitFor();

    await page.goto(link.pathname + link.search);
    await page.getByText('Account activated, you can sign in').waitFor();
    await screenshotBothSizes(page, 'activate');
    await page.getByRole('link', { name: 'Go to sign in' }).click();
    await page.waitForURL(/#\/signin/);
    await signInWith(page, 'dora', 'dora-pass-1');
    await page.getByRole('heading', { name: 'Hello, dora' }).waitFor();

    await page.goto(link.pathname + link.search);
    await page.getByRole('alert').filter({ hasText: 'activation link invalid or expired' }).waitFor();
    await page.goto('/activate');
    await page.getByRole('alert').filter({ hasText: 'has no code' }).waitFor();
    assert.deepEqual(errors.filter((e) => !/status of 40[0-3]/.test(e)), []);
    await context.close();
  });

  it('Weibo: a new identity binds an account, and once activated signs straight in', async () => {
    const { page, context, errors } = await openPage(browser, baseUrl);
    // The registered redirect URI is the seed's page: answer the provider's redirect with
    // one to the console's return path instead. (Playwright routes only the first URL of a
    // redirect chain, so the provider's authorize request is the one to intercept.)
    await context.route(`${weibo.authorizeUrl}**`, async (r) => {
      const answer = await r.fetch({ maxRedirects: 0 });
      const location = new URL(answer.headers()['location']!);
      await r.fulfill({ status: 302, headers: { location: `${baseUrl}/oauth/weibo${location.search}` } });
    });
    weibo.loginAs('5550001');
    await page.goto('/#/signin?next=%2Flive');
    await page.getByRole('button', { name: 'Sign in with Weibo' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the one-time code is dropped from the address bar');
    await page.getByLabel('Username', { exact: true }).fill('weibofan');
    await page.getByLabel('Password', { exact: true }).fill('weibo-pass-1');
    await page.getByLabel('Phone', { exact: true }).fill('13812340004');
    await page.getByLabel('E-mail', { exact: true }).fill('weibofan@example.com');
    await page.getByLabel('E-mail', { exact: true }).press('Enter');
    await page.getByText('created and linked to Weibo').waitFor();

    const mail = await eventually(() => outbox.find((m) => m.text.includes('您好 weibofan')), { what: 'the activation mail' });
    const link = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
    await page.goto(link.pathname + link.search);
    await page.getByText('Account activated, you can sign in').waitFor();

    // Bound now: Weibo gives a dadashop token, exchanged for the console session, then `next`.
    await page.goto('/#/signin?next=%2Flive');
    await page.getByRole('button', { name: 'Sign in with Weibo' }).click();
    await page.waitForURL(/#\/live$/);
    assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('stoa.session') ?? '{}').name), 'weibofan');
    assert.deepEqual(errors.filter((e) => !/status of 40[0-3]/.test(e)), []);
    await context.close();
  });
});
