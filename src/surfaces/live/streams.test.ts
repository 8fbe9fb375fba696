import { after, before, describe, test } from 'node:test';
import { dialects } from '../../../test/support/stoa.js';
import { addUser, err, runLiveStep, startLiveScene, T0, type LiveScene, type LiveStep } from './test-helpers.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /user/streams` (beyond the seed): what is live now, newest first, or one streamer's stream; open to anyone. */
const SCENARIOS: LiveStep[] = [
  { name: 'nothing live: empty list', method: 'GET', path: '/user/streams', status: 200, exact: [] },
  { name: 'alice goes live', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'alice', i_people: 2 }, status: 200 },
  {
    name: 'bob goes live a minute later', before: (s) => s.clock.advance(60_000),
    method: 'POST', path: '/user/live', as: 'bob', body: { s_name: 'bob' }, status: 200,
  },
  { name: 'carol supports alice', method: 'PUT', path: '/user/money_follow', as: 'carol', body: { s_name: 'alice', i_donate: 7, follow: true }, status: 200 },
  { name: 'carol watches bob', method: 'POST', path: '/user/watch', as: 'carol', body: { s_name: 'bob' }, status: 200 },
  {
    name: 'newest first, with viewers and elapsed time', before: (s) => s.clock.advance(10_000),
    method: 'GET', path: '/user/streams', status: 200,
    exact: [
      { s_name: 'bob', live: true, started_at: iso(T0 + 60_000), elapsed_s: 10, i_people: 1, peak: 1, donated: 0, new_followers: 0 },
      { s_name: 'alice', live: true, started_at: iso(T0), elapsed_s: 70, i_people: 2, peak: 2, donated: 7, new_followers: 1 },
    ],
  },
  {
    name: 'limit', method: 'GET', path: '/user/streams?limit=1', status: 200,
    exact: [{ s_name: 'bob', live: true, started_at: iso(T0 + 60_000), elapsed_s: 10, i_people: 1, peak: 1, donated: 0, new_followers: 0 }],
  },
  {
    name: 'one streamer', method: 'GET', path: '/user/streams?s_name=alice', status: 200,
    exact: [{ s_name: 'alice', live: true, started_at: iso(T0), elapsed_s: 70, i_people: 2, peak: 2, donated: 7, new_followers: 1 }],
  },
  { name: 'one streamer, not live', method: 'GET', path: '/user/streams?s_name=carol', status: 200, exact: [] },
  { name: 'one streamer, unknown', method: 'GET', path: '/user/streams?s_name=ghost', status: 200, exact: [] },
  { name: 'one streamer, name is exact', method: 'GET', path: '/user/streams?s_name=ALICE', status: 200, exact: [] },
  { name: 'one streamer, blank', method: 'GET', path: '/user/streams?s_name=%20', status: 400, exact: err('Missing required parameters') },
  { name: 'limit 0', method: 'GET', path: '/user/streams?limit=0', status: 400, exact: err('limit must be a whole number from 1 to 50') },
  { name: 'limit 51', method: 'GET', path: '/user/streams?limit=51', status: 400, exact: err('limit must be a whole number from 1 to 50') },
  { name: 'limit text', method: 'GET', path: '/user/streams?limit=ten', status: 400, exact: err('limit must be a whole number from 1 to 50') },
  { name: 'bob ends', method: 'POST', path: '/user/end', as: 'bob', body: { s_name: 'bob' }, status: 200 },
  {
    name: 'an ended stream leaves the list', method: 'GET', path: '/user/streams', status: 200,
    exact: [{ s_name: 'alice', live: true, started_at: iso(T0), elapsed_s: 70, i_people: 2, peak: 2, donated: 7, new_followers: 1 }],
  },
  { name: 'search still answers as before', method: 'POST', path: '/user/search', body: { s_name: 'o' }, status: 200, exact: [{ s_name: 'bob', live: false }, { s_name: 'carol', live: false }] },
];

for (const d of await dialects()) {
  describe(`live: streams live now (${d.name})`, { skip: d.skip }, () => {
    let s: LiveScene;
    before(async () => {
      s = await startLiveScene(d.name);
      for (const name of ['alice', 'bob', 'carol']) await addUser(s, name);
    });
    after(() => s?.stop());
    for (const step of SCENARIOS) test(step.name, () => runLiveStep(s, step));
  });
}
