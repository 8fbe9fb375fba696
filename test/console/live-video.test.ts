import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { http } from '../support/clients.js';
import { browserSkip, launchBrowser, openPage } from '../support/browser.js';
import { eventually } from '../support/eventually.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();

/** In the page: publishes the fake camera and microphone over WHIP; resolves with the session URL. */
function publishInPage(page: Page, name: string, token: string): Promise<string> {
  return page.evaluate(
    async ({ name, token }) => {
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
      const pc = new RTCPeerConnection();
      for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      });
      const res = await fetch(`/whip/${name}`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` }, body: pc.localDescription!.sdp });
      if (res.status !== 201) throw new Error(`WHIP ${res.status}: ${await res.text()}`);
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      (window as any).publisher = pc;
      return res.headers.get('location')!;
    },
    { name, token },
  );
}

/** In the page: watches over WHEP into a <video>; the page keeps the connection as `viewer`. */
function watchInPage(page: Page, name: string): Promise<void> {
  return page.evaluate(async (name) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    pc.addEventListener('track', (e) => (video.srcObject = e.streams[0] ?? new MediaStream([e.track])));
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    const res = await fetch(`/whep/${name}`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    (window as any).viewer = pc;
  }, name);
}

/** The viewer's inbound video: frames decoded so far and the frame width. */
function videoStats(page: Page): Promise<{ framesDecoded: number; frameWidth: number }> {
  return page.evaluate(async () => {
    const stats = await ((window as any).viewer as RTCPeerConnection).getStats();
    for (const report of stats.values()) {
      if (report.type === 'inbound-rtp' && report.kind === 'video') return { framesDecoded: report.framesDecoded ?? 0, frameWidth: report.frameWidth ?? 0 };
    }
    return { framesDecoded: 0, frameWidth: 0 };
  });
}

/** Opens a page at this server's origin (the API only: no console), so the page's fetches are same-origin. */
async function pageAtServer(browser: Browser, baseUrl: string) {
  const watched = await openPage(browser, baseUrl);
  await watched.context.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
  await watched.page.goto('/healthz');
  return watched;
}

describe('live video in Chromium: a browser publishes over WHIP, browsers watch over WHEP', { skip }, () => {
  let db: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  let token: string;

  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startTestServer(db, { env: { SOCKET_PORT: '-1', CONSOLE_DIR: 'off' } });
    browser = await launchBrowser({ fakeMedia: true });
    const signup = { s_name: 'cara', s_email: 'cara@example.com', s_password: 'pw-123456', s_password_confirmation: 'pw-123456', s_phone: '13800000021' };
    assert.equal((await http(srv.baseUrl, 'POST', '/user/signup', { body: signup })).status, 200);
    token = (await http(srv.baseUrl, 'POST', '/user/login', { body: { s_name: 'cara', s_password: 'pw-123456' } })).body.access_token;
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    await db?.drop();
  });

  test('two viewers decode frames of the published camera; ending the publish ends the stream and counts them', async () => {
    const streamer = await pageAtServer(browser, srv.baseUrl);
    const location = await publishInPage(streamer.page, 'cara', token);
    const viewers = [];
    for (let i = 0; i < 2; i++) {
      const viewer = await pageAtServer(browser, srv.baseUrl);
      await watchInPage(viewer.page, 'cara');
      viewers.push(viewer);
    }
    for (const viewer of viewers) {
      const first = await eventually(async () => {
        const stats = await videoStats(viewer.page);
        return stats.framesDecoded > 0 && stats.frameWidth > 0 && stats;
      }, { timeoutMs: 10_000, what: 'decoded frames at a viewer' });
      await eventually(async () => (await videoStats(viewer.page)).framesDecoded > first.framesDecoded + 5, { timeoutMs: 10_000, what: 'frames still decoding' });
    }
    const people = await eventually(async () => {
      const res = await http(srv.baseUrl, 'GET', '/user/current_people?s_name=cara');
      return res.body.i_people === 2 && res.body;
    }, { what: 'both viewers counted' });
    assert.equal(people.peak, 2);
    const ended = await streamer.page.evaluate(async ({ location, token }) => (await fetch(location, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, { location, token });
    assert.equal(ended, 200);
    const info = await http(srv.baseUrl, 'GET', '/user/ueinfo?s_name=cara');
    assert.equal(info.body.streams, 1);
    assert.equal((await http(srv.baseUrl, 'GET', '/user/current_time?s_name=cara')).status, 400);
    for (const viewer of [streamer, ...viewers]) assert.deepEqual(viewer.errors, []);
  });
});
