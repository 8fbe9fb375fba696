import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { findUserByUsername, updateAccessLevel } from '../../src/core/users/user-repo.js';
import { browserSkip, copyBuiltConsole, launchBrowser, openPage, screenshotBothSizes } from '../support/browser.js';
import { http } from '../support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();

/** Web sign-up over HTTP; `level` asks for an access level (an access request). */
async function signup(baseUrl: string, name: string, phone: string, level?: number): Promise<void> {
  const body = { s_name: name, s_email: `${name}@example.com`, s_phone: phone, s_password: `pw-${name}-1`, s_password_confirmation: `pw-${name}-1` };
  const res = await http(baseUrl, 'POST', '/user/signup', { body, headers: level === undefined ? {} : { authorization: String(level) } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function signIn(page: Page, name: string): Promise<void> {
  await page.goto('/#/signin');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(`pw-${name}-1`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
}

describe('console admin page', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let consoleDir: string;
  const level = async (name: string) => (await findUserByUsername(server.server.app.db, name))!.access_level;

  before(async () => {
    db = await createTestDatabase('sqlite');
    // A private copy of the built console, so a rebuild elsewhere cannot swap files mid-test.
    consoleDir = await copyBuiltConsole();
    server = await startTestServer(db, { env: { CONSOLE_DIR: consoleDir } });
    await signup(server.baseUrl, 'root', '13900000001');
    // As `stoa user set-level root 9` does.
    await updateAccessLevel(server.server.app.db, (await findUserByUsername(server.server.app.db, 'root'))!.id, 9);
    await signup(server.baseUrl, 'hopeful', '13900000002', 5);
    await signup(server.baseUrl, 'pleb', '13900000003');
    for (let i = 0; i < 22; i++) await signup(server.baseUrl, `filler${i}`, `1370000${String(i).padStart(4, '0')}`);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it('an admin approves a pending request and sets a level; the list searches and pages', async () => {
    const { page, context, errors } = await openPage(browser, server.baseUrl);
    await signIn(page, 'root');
    await page.locator('.home-cards').getByRole('link', { name: 'Admin' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Admin', exact: true }).waitFor();

    const row = page.locator('table.requests tr', { hasText: 'hopeful' });
    await row.waitFor();
    await screenshotBothSizes(page, 'admin');
    await page.getByRole('button', { name: 'Approve level 5 for hopeful' }).click();
    await page.getByText('No requests are waiting.').waitFor();
    assert.equal(await level('hopeful'), 5);

    // 25 users: two pages of 20.
    await page.getByText('Page 1 of 2').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await page.getByLabel('Search users').fill('pleb');
    await page.getByLabel('Search users').press('Enter');
    await page.getByText('1 user matching “pleb”').waitFor();
    assert.equal(await page.locator('table.users tbody tr').count(), 1);

    await page.getByLabel('Level for pleb', { exact: true }).selectOption('3');
    await page.getByRole('button', { name: 'Save level for pleb' }).click();
    await page.getByRole('status').filter({ hasText: 'pleb now has level 3.' }).waitFor({ state: 'attached' });
    assert.equal(await level('pleb'), 3);

    // The admin's own row cannot go below 9.
    await page.getByLabel('Search users').fill('root');
    await page.getByLabel('Search users').press('Enter');
    await page.getByText('1 user matching “root”').waitFor();
    assert.equal(await page.getByLabel('Level for root', { exact: true }).locator('option[value="8"]').isDisabled(), true);
    await page.getByLabel('Search users').fill('hopeful');
    await page.getByLabel('Search users').press('Enter');
    await page.getByText('1 user matching “hopeful”').waitFor();
    assert.equal(await page.getByLabel('Level for hopeful', { exact: true }).inputValue(), '5');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a non-admin sees no Admin link and no admin page', async () => {
    const { page, context, errors } = await openPage(browser, server.baseUrl);
    await signIn(page, 'pleb');
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
    await page.goto('/#/admin');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.equal(await page.locator('table.users').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
