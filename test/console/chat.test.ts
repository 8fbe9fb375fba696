import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { http } from '../support/clients.js';
import { browserSkip, launchBrowser, openPage, screenshotBothSizes, VIEWPORTS, type WatchedPage } from '../support/browser.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();
const PASSWORD = 'pw-chat-console';

/** A real 1x1 PNG. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Signs in through the console's own form and opens the chat page. */
async function signInToChat(page: Page, name: string, waitConnected = true): Promise<void> {
  await page.goto('/#/signin?next=%2Fchat');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await page.waitForURL(/#\/chat/);
  if (waitConnected) await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}

describe('console chat page', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  const people: WatchedPage[] = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db);
    browser = await launchBrowser();
    for (const username of ['ada', 'bo']) {
      const res = await http(server.baseUrl, 'POST', '/api/register', { body: { username, password: PASSWORD } });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('two people chat: messages, names, avatars, presence, avatar upload', async () => {
    const a = await openPage(browser, server.baseUrl);
    const b = await openPage(browser, server.baseUrl);
    await b.page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height }); // bo is on a phone
    people.push(a, b);
    await signInToChat(a.page, 'ada');
    await signInToChat(b.page, 'bo');

    // Presence shows both, on both sides (bo's panel starts closed on a phone).
    const online = (p: Page) => p.getByRole('list', { name: 'People online' });
    await online(a.page).getByText('bo').waitFor();
    await b.page.getByText('Online', { exact: false }).first().click();
    await online(b.page).getByText('ada').waitFor();

    // A sends with Enter; B sees it with A's name and avatar.
    const box = a.page.getByRole('textbox', { name: 'Message' });
    await box.fill('Hello from Ada');
    await box.press('Enter');
    const seenByB = b.page.locator('.chat-message[data-user="ada"]', { hasText: 'Hello from Ada' });
    await seenByB.waitFor();
    assert.equal(await seenByB.locator('img.chat-avatar').getAttribute('src'), '/avatar/default/default_avatar.png');
    assert.equal(await box.inputValue(), '');
    assert.equal(await a.page.locator('.chat-message.mine', { hasText: 'Hello from Ada' }).count(), 1);

    // Shift+Enter is a new line, Enter sends; A sees B's answer.
    const boxB = b.page.getByRole('textbox', { name: 'Message' });
    await boxB.fill('Hi Ada');
    await boxB.press('Shift+Enter');
    await boxB.type('second line');
    await boxB.press('Enter');
    const answer = a.page.locator('.chat-message[data-user="bo"]');
    await answer.waitFor();
    assert.equal(await answer.locator('.chat-text').innerText(), 'Hi Ada\nsecond line');

    // The limit is shown and enforced before sending.
    await box.fill('x'.repeat(4100));
    await a.page.getByText('4100 / 4096').waitFor();
    assert.equal(await a.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    await box.fill('');

    await screenshotBothSizes(a.page, 'chat');

    // Avatar upload: A's picture changes, and B's next message from A carries it.
    await a.page.locator('input[type=file]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: TINY_PNG });
    await a.page.getByText('Avatar updated.').waitFor();
    const src = await a.page.getByRole('img', { name: 'Your current avatar' }).getAttribute('src');
    assert.match(src ?? '', /^\/avatar\/ada\/u-[0-9a-f]+\.png$/);
    await box.fill('New look');
    await box.press('Enter');
    const withPicture = b.page.locator('.chat-message[data-user="ada"]', { hasText: 'New look' });
    await withPicture.waitFor();
    assert.equal(await withPicture.locator('img.chat-avatar').getAttribute('src'), src);

    // A file that is not a picture is refused before it is sent.
    await a.page.locator('input[type=file]').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
    await a.page.getByText('That file is not a PNG or JPEG picture.').waitFor();

    // Reloading keeps the cached token and the history.
    await b.page.reload();
    await b.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await b.page.locator('.chat-message', { hasText: 'Hello from Ada' }).waitFor();

    // A second tab of the same person is told the chat is open elsewhere.
    const aTwo = await a.context.newPage();
    const twoErrors: string[] = [];
    aTwo.on('pageerror', (err) => twoErrors.push(err.message));
    await signInToChat(aTwo, 'ada', false);
    await aTwo.getByText('open in another tab or on another device').waitFor();
    await aTwo.close();

    // Leaving the page leaves the room.
    await b.page.getByRole('link', { name: 'Study' }).click();
    await online(a.page).getByText('bo').waitFor({ state: 'detached' });

    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(twoErrors, []);
  });
});
