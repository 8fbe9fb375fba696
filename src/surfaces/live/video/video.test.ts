import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../../test/support/clients.js';
import { eventually } from '../../../../test/support/eventually.js';
import { postOffer, TestPublisher, TestViewer } from '../../../../test/support/webrtc-clients.js';
import { addUser, startLiveScene, type LiveScene } from '../test-helpers.js';
import { liveVideo } from './routes.js';

const ANSWER_WAIT = { timeoutMs: 10_000 };

describe('live video: WHIP publishing, WHEP watching, stream keys', () => {
  let scene: LiveScene;
  const open: Array<{ stop(): Promise<void> }> = [];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const jwtOf = (name: string) => scene.auth[name]!.authorization.replace(/^JWT /, '');

  before(async () => {
    scene = await startLiveScene('sqlite', { LIVE_PUBLISHER_GONE_S: '10' });
    for (const name of ['sam', 'vera', 'otto', 'hugo']) await addUser(scene, name);
  });
  after(async () => {
    for (const client of open) await client.stop();
    await scene?.stop();
  });

  /** A client's offer (its connection is closed with the scene). */
  async function anOffer(): Promise<string> {
    const client = new TestViewer();
    open.push(client);
    return client.offer();
  }

  /** Publishes `name` with `token` and connects; resolves once the server receives video. */
  async function publish(name: string, token: string): Promise<{ publisher: TestPublisher; location: string }> {
    const publisher = new TestPublisher();
    open.push(publisher);
    const res = await postOffer(`${scene.base}/whip/${name}`, await publisher.offer(), bearer(token));
    assert.equal(res.status, 201, res.body);
    assert.equal(res.contentType, 'application/sdp');
    assert.match(res.location ?? '', new RegExp(`^/whip/${name}/[0-9a-f]{32}$`));
    assert.match(res.body, /^v=0\r\n/);
    await publisher.answer(res.body);
    return { publisher, location: res.location! };
  }

  /** Watches `name`; resolves once the viewer has decoded-ready video (a keyframe). */
  async function watch(name: string): Promise<{ viewer: TestViewer; location: string }> {
    const viewer = new TestViewer();
    open.push(viewer);
    const res = await postOffer(`${scene.base}/whep/${name}`, await viewer.offer());
    assert.equal(res.status, 201, res.body);
    assert.match(res.location ?? '', new RegExp(`^/whep/${name}/[0-9a-f]{32}$`));
    await viewer.answer(res.body);
    await eventually(() => viewer.keyframes > 0, { ...ANSWER_WAIT, what: `a keyframe at a viewer of ${name}` });
    return { viewer, location: res.location! };
  }

  test('a stream key is shown once, works as a WHIP bearer token, and a rotated or revoked one gets 401', async () => {
    const none = await http(scene.base, 'GET', '/user/stream_key', { headers: scene.auth.sam });
    assert.deepEqual(none.body, { has_key: false, created_at: null, whip_path: '/whip/sam', whip_url: null });
    const first = await http(scene.base, 'POST', '/user/stream_key', { headers: scene.auth.sam });
    assert.equal(first.status, 200);
    assert.match(first.body.stream_key, /^sk_[0-9a-f]{40}$/);
    const shown = await http(scene.base, 'GET', '/user/stream_key', { headers: scene.auth.sam });
    assert.equal(shown.body.has_key, true);
    assert.equal(JSON.stringify(shown.body).includes(first.body.stream_key), false, 'never shown again');
    const second = await http(scene.base, 'POST', '/user/stream_key', { headers: scene.auth.sam });
    const offer = await anOffer();
    const rotated = await postOffer(`${scene.base}/whip/sam`, offer, bearer(first.body.stream_key));
    assert.deepEqual([rotated.status, JSON.parse(rotated.body)], [401, { Error: 'Unauthorized' }]);
    await http(scene.base, 'DELETE', '/user/stream_key', { headers: scene.auth.sam });
    const revoked = await postOffer(`${scene.base}/whip/sam`, offer, bearer(second.body.stream_key));
    assert.equal(revoked.status, 401);
    const noKey = await http(scene.base, 'POST', '/user/stream_key', {});
    assert.deepEqual([noKey.status, noKey.body], [401, { Error: 'Unauthorized' }]);
  });

  test('bad WHIP and WHEP requests get the live surface’s errors', async () => {
    const offer = await anOffer();
    const cases: Array<[string, Promise<{ status: number; body: string }>, number, string | RegExp]> = [
      ['no token', postOffer(`${scene.base}/whip/sam`, offer), 401, 'Unauthorized'],
      ['someone else’s stream', postOffer(`${scene.base}/whip/sam`, offer, bearer(jwtOf('vera'))), 403, 'Forbidden'],
      ['not SDP', postOffer(`${scene.base}/whip/sam`, 'hello', bearer(jwtOf('sam'))), 400, /must be an SDP offer/],
      ['SDP that cannot be read', postOffer(`${scene.base}/whip/sam`, 'v=0\r\nm=nonsense\r\n', bearer(jwtOf('sam'))), 400, /SDP offer cannot be used|sends no audio or video/],
      ['watching a stream that is not live', postOffer(`${scene.base}/whep/sam`, offer), 400, 'Not live'],
      ['watching no one', postOffer(`${scene.base}/whep/nobody`, offer), 404, 'No such user'],
    ];
    const json = await fetch(`${scene.base}/whip/sam`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(jwtOf('sam')) }, body: '{}' });
    cases.push(['a JSON body', json.text().then((body) => ({ status: json.status, body })), 400, /must be an SDP offer/]);
    for (const [what, pending, status, error] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `${what}: ${res.body}`);
      const body = JSON.parse(res.body);
      assert.deepEqual(Object.keys(body), ['Error'], what);
      if (typeof error === 'string') assert.equal(body.Error, error, what);
      else assert.match(body.Error, error, what);
    }
    // Live through POST /user/live, but nothing published: no video to watch.
    await http(scene.base, 'POST', '/user/live', { headers: scene.auth.otto, body: { s_name: 'otto' } });
    const noVideo = await postOffer(`${scene.base}/whep/otto`, offer);
    assert.deepEqual([noVideo.status, JSON.parse(noVideo.body).Error], [404, 'This stream has no video: nothing is being published']);
    const trickle = await fetch(`${scene.base}/whip/sam/0123`, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, body: 'a=x' });
    assert.equal(trickle.status, 405);
  });

  test('publishing with a stream key goes live; viewers get the picture, count as viewers, and a late joiner gets a keyframe', async () => {
    const key = (await http(scene.base, 'POST', '/user/stream_key', { headers: scene.auth.sam })).body.stream_key as string;
    const { publisher, location } = await publish('sam', key);
    const time = await http(scene.base, 'GET', '/user/current_time?s_name=sam');
    assert.equal(time.status, 200, 'publishing made the stream live');
    const again = await postOffer(`${scene.base}/whip/sam`, await anOffer(), bearer(key));
    assert.deepEqual([again.status, JSON.parse(again.body).Error], [409, 'Already publishing: end the other session first']);

    const first = await watch('sam');
    const counted = await eventually(async () => {
      const people = await http(scene.base, 'GET', '/user/current_people?s_name=sam');
      return people.body.i_people === 1 && people.body;
    }, { what: 'the WebRTC viewer counted' });
    assert.equal(counted.peak, 1);

    const requestsBefore = publisher.keyframeRequests;
    const late = await watch('sam');
    assert.ok(publisher.keyframeRequests > requestsBefore, 'the late joiner’s arrival asked the publisher for a keyframe');
    assert.equal(liveVideo(scene.app).viewersOf('sam'), 2);
    const packets = first.viewer.videoPackets;
    await eventually(() => first.viewer.videoPackets > packets + 10, { what: 'video still flowing to the first viewer' });

    const left = await http(scene.base, 'DELETE', late.location);
    assert.deepEqual([left.status, left.body], [200, { message: 'Left the stream' }]);
    assert.equal(liveVideo(scene.app).viewersOf('sam'), 1);
    const unknown = await http(scene.base, 'DELETE', late.location);
    assert.deepEqual([unknown.status, unknown.body], [404, { Error: 'No such viewing session' }]);

    const notHis = await http(scene.base, 'DELETE', location, { headers: bearer(jwtOf('vera')) });
    assert.equal(notHis.status, 403);
    const ended = await http(scene.base, 'DELETE', location, { headers: bearer(key) });
    assert.deepEqual([ended.status, ended.body], [200, { message: 'Stream ended' }]);
    const after = await http(scene.base, 'GET', '/user/current_time?s_name=sam');
    assert.deepEqual([after.status, after.body], [400, { Error: 'Not live' }]);
    const info = await http(scene.base, 'GET', '/user/ueinfo?s_name=sam');
    assert.equal(info.body.streams, 1);
    assert.equal(liveVideo(scene.app).viewersOf('sam'), 0, 'the viewers’ connections ended with the stream');
    const lastCount = first.viewer.videoPackets;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(first.viewer.videoPackets, lastCount, 'no video after the end');
  });

  test('a publisher that vanishes ends its stream after LIVE_PUBLISHER_GONE_S; one ended by POST /user/end stops publishing', async () => {
    const { publisher } = await publish('vera', jwtOf('vera'));
    await watch('vera');
    scene.clock.advance(1); // so the silence after the stop is told apart from any before the first packet
    await publisher.stop(); // no DELETE: the peer is simply gone
    const video = liveVideo(scene.app);
    await eventually(() => video.publisherSilentSince('vera') === scene.clock.now(), { what: 'the publisher’s silence to be noticed' });
    scene.clock.advance(9_999);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a sweep or more
    assert.equal((await http(scene.base, 'GET', '/user/current_time?s_name=vera')).status, 200, 'still live before 10 s');
    scene.clock.advance(1);
    await eventually(async () => (await http(scene.base, 'GET', '/user/current_time?s_name=vera')).status === 400, {
      what: 'the stream to end 10 s after its publisher vanished',
    });
    assert.equal(liveVideo(scene.app).viewersOf('vera'), 0);

    await publish('vera', jwtOf('vera'));
    const ended = await http(scene.base, 'POST', '/user/end', { headers: scene.auth.vera, body: { s_name: 'vera' } });
    assert.equal(ended.status, 200);
    await eventually(() => !liveVideo(scene.app).isPublishing('vera'), { what: 'the publishing session to close after POST /user/end' });
  });

  test('HLS: the playlist appears, its segments decode as H.264, and an ended stream’s files go after LIVE_HLS_KEEP_S', async () => {
    const hls = liveVideo(scene.app).hls;
    assert.equal(hls.available, true, 'ffmpeg runs here (CI installs it)');
    const { location } = await publish('hugo', jwtOf('hugo'));
    const playlist = await eventually(async () => {
      const res = await fetch(`${scene.base}/live/hls/hugo/index.m3u8`);
      const text = await res.text();
      return res.status === 200 && /seg\d{5}\.ts/.test(text) && { res, text };
    }, { timeoutMs: 15_000, what: 'the HLS playlist with a segment' });
    assert.equal(playlist.res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(playlist.res.headers.get('cache-control'), 'no-cache');
    assert.match(playlist.text, /^#EXTM3U/);
    const segment = /seg\d{5}\.ts/.exec(playlist.text)![0];
    const res = await fetch(`${scene.base}/live/hls/hugo/${segment}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp2t');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400, immutable');
    const file = join(mkdtempSync(join(tmpdir(), 'stoa-hls-')), segment);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).toString());
    const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    assert.deepEqual([video.codec_name, video.width, video.height], ['h264', 320, 240]);
    rmSync(dirname(file), { recursive: true, force: true });

    for (const bad of ['../index.m3u8', 'index.m3u', 'seg1.ts', 'input.sdp']) {
      const refused = await fetch(`${scene.base}/live/hls/hugo/${encodeURIComponent(bad)}`);
      assert.equal(refused.status, 404, bad);
      assert.deepEqual(Object.keys(await refused.json()), ['Error']);
    }
    // otto is live (POST /user/live) but has never published: no HLS. (sam's ended stream may still
    // be kept for LIVE_HLS_KEEP_S, depending on whether its first segment was written before it ended.)
    assert.equal((await fetch(`${scene.base}/live/hls/otto/index.m3u8`)).status, 404, 'live but not published');

    await http(scene.base, 'DELETE', location, { headers: bearer(jwtOf('hugo')) });
    assert.equal((await fetch(`${scene.base}/live/hls/hugo/index.m3u8`)).status, 200, 'kept for players to finish');
    scene.clock.advance(60_000);
    await eventually(async () => (await fetch(`${scene.base}/live/hls/hugo/index.m3u8`)).status === 404, { what: 'the ended stream’s HLS files to go' });
  });
});
