import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { http } from '../support/clients.js';
import { browserSkip, launchBrowser, openPage, screenshotBothSizes } from '../support/browser.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();
const PASSWORD = 'pw-study-console';
const auth = { authorization: `Basic ${Buffer.from(`cleo:${PASSWORD}`).toString('base64')}` };

/** `YYYY-MM-DD HH:MM:SS` (UTC) for epoch ms. */
const wire = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

describe('console study page', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db);
    browser = await launchBrowser();
    const reg = await http(server.baseUrl, 'POST', '/api/register', { body: { username: 'cleo', password: PASSWORD } });
    assert.equal(reg.status, 200);
    // 21 finished sessions over the last days: two history pages and bars in the chart.
    const now = Date.now();
    for (let i = 21; i >= 1; i--) {
      const start = now - i * 5 * 3600_000;
      const made = await http(server.baseUrl, 'POST', '/api/v1.0/studys/', { headers: auth, body: { start_time: wire(start) } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const ended = await http(server.baseUrl, 'PUT', `/api/v1.0/studys/${made.body.id}`, {
        headers: auth,
        body: { end_time: wire(start + 45 * 60_000) },
      });
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('start, resume after reload, stop, history pages, chart and table, API errors shown', async () => {
    const { page, context, errors } = await openPage(browser, server.baseUrl);
    await page.goto('/#/signin?next=%2Fstudy');
    await page.getByLabel('Name', { exact: true }).fill('cleo');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/#\/study/);

    // The chart has one bar per day of the last 30; the same numbers are in a table.
    await page.locator('.chart[data-points="30"] canvas').waitFor();
    await page.getByText('in 21 sessions').waitFor();
    await page.getByText('Show the numbers').click();
    assert.equal(await page.locator('.study-numbers tbody tr').count(), 30);
    await page.getByText('(21 sessions)').waitFor();

    // Pagination follows the API's next/prev links on this origin.
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    assert.equal(await page.locator('.study-history tbody tr').count(), 1);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Page 1').waitFor();
    assert.equal(await page.locator('.study-history tbody tr').count(), 20);

    // Start: the clock runs, the session shows as in progress.
    await page.getByRole('button', { name: 'Start studying' }).click();
    await page.getByText('Session started').waitFor();
    await page.getByRole('heading', { name: 'Studying now' }).waitFor();
    const clock = page.getByRole('timer');
    await page.waitForFunction(() => document.querySelector('[role=timer]')?.textContent !== '0:00:00');
    assert.match(await clock.innerText(), /^0:00:0[1-9]$/);
    await page.getByText('in progress').waitFor();

    // A reload finds the open session and resumes the clock.
    await page.reload();
    await page.getByRole('heading', { name: 'Studying now' }).waitFor();
    await page.waitForFunction(() => /^0:00:0[1-9]$/.test(document.querySelector('[role=timer]')?.textContent ?? ''));
    await screenshotBothSizes(page, 'study');

    // Stop: the session is in the history with an end time.
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Session saved.').waitFor();
    await page.getByRole('heading', { name: 'Not studying' }).waitFor();
    await page.getByText('(22 sessions)').waitFor();
    const newest = page.locator('.study-history tbody tr').first();
    assert.equal(await newest.locator('.badge').count(), 0);
    assert.notEqual((await newest.locator('td').nth(1).innerText()).trim(), '');
    assert.match(await newest.locator('td').nth(2).innerText(), /^0:00:\d\d$/);

    // The API's own error is shown: a session opened elsewhere blocks a second one.
    const elsewhere = await http(server.baseUrl, 'POST', '/api/v1.0/studys/', { headers: auth, body: {} });
    assert.equal(elsewhere.status, 201);
    await page.getByRole('button', { name: 'Start studying' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /open/i);
    await page.getByRole('heading', { name: 'Studying now' }).waitFor(); // the page found that session
    await screenshotBothSizes(page, 'study-error');

    // Chromium logs every 4xx resource load; the one 400 above is the point of that step.
    const unexpected = errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e));
    assert.deepEqual(unexpected, []);
    assert.equal(errors.length - unexpected.length, 1);
    await context.close();
  });
});
