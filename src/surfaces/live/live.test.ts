import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '../../../test/support/clients.js';
import { dialects } from '../../../test/support/stoa.js';
import { addUser, err, runLiveStep, startLiveScene, T0, type LiveScene, type LiveStep } from './test-helpers.js';

const ISO0 = new Date(T0).toISOString();
const people = (i_people: number, peak: number) => ({ s_name: 'alice', i_people, peak });
const names = (body: Array<{ s_name: string }>) => body.map((r) => r.s_name);

async function signupAndLogin(s: LiveScene, name: string): Promise<void> {
  const signup = await http(s.base, 'POST', '/user/signup', {
    body: { s_name: name, s_email: `${name}@example.com`, s_password: 'pw-123456', s_password_confirmation: 'pw-123456', s_phone: '13800001234' },
  });
  assert.equal(signup.status, 200, JSON.stringify(signup.body));
  const login = await http(s.base, 'POST', '/user/login', { body: { s_name: name, s_password: 'pw-123456' } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  s.auth[name] = { authorization: `Bearer ${login.body.access_token}` };
}

/** Every row of live.md, in an order where each builds on the last. */
const SCENARIOS: LiveStep[] = [
  // POST /user/live
  { name: 'live: no token', method: 'POST', path: '/user/live', body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'live: garbage token', method: 'POST', path: '/user/live', headers: { authorization: 'JWT abc.def.ghi' }, body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'live: blank name', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: '  ' }, status: 400, exact: err('Missing required parameters') },
  { name: 'live: name of the wrong type', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 7 }, status: 400, exact: err('Missing required parameters') },
  { name: 'live: someone else\'s stream', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'bob' }, status: 403, exact: err('Forbidden') },
  { name: 'live: negative i_people', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'alice', i_people: -1 }, status: 400, exact: err('i_people must be a non-negative integer') },
  { name: 'live: i_donate as text', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'alice', i_donate: '9' }, status: 400, exact: err('i_donate must be a non-negative integer') },
  { name: 'live: malformed JSON', method: 'POST', path: '/user/live', as: 'alice', rawBody: '{"s_name": ', headers: { 'content-type': 'application/json' }, status: 400, exact: err('Body is not valid JSON') },
  { name: 'live: body is an array', method: 'POST', path: '/user/live', as: 'alice', body: [{ s_name: 'alice' }], status: 400, exact: err('Body must be a JSON object') },
  { name: 'live: body over 1 MiB', method: 'POST', path: '/user/live', as: 'alice', rawBody: `{"s_name":"${'x'.repeat(1_100_000)}"}`, status: 413, exact: err('Request body too large') },
  {
    name: 'live: goes live (client totals are not taken)', method: 'POST', path: '/user/live', as: 'alice',
    body: { s_name: 'alice', i_people: 2, i_follower: 999, i_donate: 999 }, status: 200,
    check: (b) => assert.deepEqual({ ...b, stream_id: typeof b.stream_id }, { message: 'JSON received successfully', stream_id: 'number', started_at: ISO0 }),
  },
  { name: 'live: already live', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'alice' }, status: 400, exact: err('s_name already exists') },
  { name: 'live: admin, unknown streamer', method: 'POST', path: '/user/live', as: 'root', body: { s_name: 'ghost' }, status: 404, exact: err('No such user') },
  { name: 'live: user from /user/signup + /user/login', before: (s) => signupAndLogin(s, 'dave'), method: 'POST', path: '/user/live', as: 'dave', body: { s_name: 'dave' }, status: 200 },
  { name: 'live: admin ends another\'s stream', method: 'POST', path: '/user/end', as: 'root', body: { s_name: 'dave' }, status: 200, check: (b) => assert.equal(b.duration_s, 0) },
  // PUT /user/current_people
  { name: 'people: +1', method: 'PUT', path: '/user/current_people', as: 'alice', body: { s_name: 'alice', delta: 1 }, status: 200, exact: people(3, 3) },
  { name: 'people: delta 5', method: 'PUT', path: '/user/current_people', as: 'alice', body: { s_name: 'alice', delta: 5 }, status: 400, exact: err('delta must be +1 or -1') },
  { name: 'people: delta "1"', method: 'PUT', path: '/user/current_people', as: 'alice', body: { s_name: 'alice', delta: '1' }, status: 400, exact: err('delta must be +1 or -1') },
  { name: 'people: not the owner', method: 'PUT', path: '/user/current_people', as: 'bob', body: { s_name: 'alice', delta: 1 }, status: 403, exact: err('Forbidden') },
  { name: 'people: no token', method: 'PUT', path: '/user/current_people', body: { s_name: 'alice', delta: 1 }, status: 401, exact: err('Unauthorized') },
  { name: 'people: admin -1', method: 'PUT', path: '/user/current_people', as: 'root', body: { s_name: 'alice', delta: -1 }, status: 200, exact: people(2, 3) },
  { name: 'people: not live', method: 'PUT', path: '/user/current_people', as: 'carol', body: { s_name: 'carol', delta: 1 }, status: 400, exact: err('Not live') },
  { name: 'people: GET', method: 'GET', path: '/user/current_people?s_name=alice', status: 200, exact: people(2, 3) },
  { name: 'people: GET blank', method: 'GET', path: '/user/current_people?s_name=', status: 400, exact: err('Missing required parameters') },
  { name: 'people: GET unknown', method: 'GET', path: '/user/current_people?s_name=ghost', status: 404, exact: err('No such user') },
  { name: 'people: GET not live', method: 'GET', path: '/user/current_people?s_name=carol', status: 200, exact: { s_name: 'carol', i_people: 0, peak: 0 } },
  // POST /user/watch
  { name: 'watch: no token', method: 'POST', path: '/user/watch', body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'watch: bob', method: 'POST', path: '/user/watch', as: 'bob', body: { s_name: 'alice' }, status: 200, exact: { s_name: 'alice', i_people: 3 } },
  { name: 'watch: bob again counts once', method: 'POST', path: '/user/watch', as: 'bob', body: { s_name: 'alice' }, status: 200, exact: { s_name: 'alice', i_people: 3 } },
  { name: 'watch: carol', method: 'POST', path: '/user/watch', as: 'carol', body: { s_name: 'alice' }, status: 200, exact: { s_name: 'alice', i_people: 4 } },
  { name: 'watch: not live', method: 'POST', path: '/user/watch', as: 'carol', body: { s_name: 'bob' }, status: 400, exact: err('Not live') },
  { name: 'watch: unknown', method: 'POST', path: '/user/watch', as: 'carol', body: { s_name: 'ghost' }, status: 404, exact: err('No such user') },
  { name: 'people: peak follows watchers', method: 'GET', path: '/user/current_people?s_name=alice', status: 200, exact: people(4, 4) },
  // PUT /user/money_follow
  { name: 'money: gift and follow', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: 10, follow: true }, status: 200, exact: { s_name: 'alice', i_follower: 1, i_donate: 10 } },
  { name: 'money: repeat follow changes nothing', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: 5, follow: true }, status: 200, exact: { s_name: 'alice', i_follower: 1, i_donate: 15 } },
  { name: 'money: follow false is no follow', method: 'PUT', path: '/user/money_follow', as: 'carol', body: { s_name: 'alice', follow: false }, status: 200, exact: { s_name: 'alice', i_follower: 1, i_donate: 15 } },
  { name: 'money: zero', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: 0 }, status: 400, exact: err('i_donate must be a positive integer up to 1000000000') },
  { name: 'money: negative', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: -5 }, status: 400, exact: err('i_donate must be a positive integer up to 1000000000') },
  { name: 'money: fraction', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: 1.5 }, status: 400, exact: err('i_donate must be a positive integer up to 1000000000') },
  { name: 'money: text', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', i_donate: '5' }, status: 400, exact: err('i_donate must be a positive integer up to 1000000000') },
  { name: 'money: follow "yes"', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'alice', follow: 'yes' }, status: 400, exact: err('follow must be true or false') },
  { name: 'money: self gift', method: 'PUT', path: '/user/money_follow', as: 'alice', body: { s_name: 'alice', i_donate: 5 }, status: 400, exact: err('Cannot donate to yourself') },
  { name: 'money: self follow', method: 'PUT', path: '/user/money_follow', as: 'alice', body: { s_name: 'alice', follow: true }, status: 400, exact: err('Cannot follow yourself') },
  { name: 'money: no token', method: 'PUT', path: '/user/money_follow', body: { s_name: 'alice', i_donate: 5 }, status: 401, exact: err('Unauthorized') },
  { name: 'money: unknown', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { s_name: 'ghost', i_donate: 5 }, status: 404, exact: err('No such user') },
  { name: 'money: blank name', method: 'PUT', path: '/user/money_follow', as: 'bob', body: { i_donate: 5 }, status: 400, exact: err('Missing required parameters') },
  // current_time
  { name: 'time: PUT', before: (s) => s.clock.advance(90_000), method: 'PUT', path: '/user/current_time', as: 'alice', body: { s_name: 'alice' }, status: 200, exact: { s_name: 'alice', started_at: ISO0, elapsed_s: 90 } },
  { name: 'time: GET', method: 'GET', path: '/user/current_time?s_name=alice', status: 200, exact: { s_name: 'alice', started_at: ISO0, elapsed_s: 90 } },
  { name: 'time: PUT not the owner', method: 'PUT', path: '/user/current_time', as: 'bob', body: { s_name: 'alice' }, status: 403, exact: err('Forbidden') },
  { name: 'time: PUT no token', method: 'PUT', path: '/user/current_time', body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'time: PUT not live', method: 'PUT', path: '/user/current_time', as: 'carol', body: { s_name: 'carol' }, status: 400, exact: err('Not live') },
  { name: 'time: GET not live', method: 'GET', path: '/user/current_time?s_name=carol', status: 400, exact: err('Not live') },
  // POST /user/alert
  { name: 'alert: under the threshold', method: 'POST', path: '/user/alert', as: 'bob', body: { s_name: 'alice', current_time: '2026-01-10T08:01:30Z' }, status: 200, exact: { alert: false, elapsed_s: 90, message: 'Live for 6 hours or less' } },
  { name: 'alert: current_time of the wrong type', method: 'POST', path: '/user/alert', as: 'bob', body: { s_name: 'alice', current_time: {} }, status: 400, exact: err('current_time must be a time') },
  { name: 'alert: no token', method: 'POST', path: '/user/alert', body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'alert: not live', method: 'POST', path: '/user/alert', as: 'bob', body: { s_name: 'carol' }, status: 400, exact: err('Not live') },
  // GET /user/access_right
  { name: 'access: viewer', method: 'GET', path: '/user/access_right', as: 'alice', status: 200, exact: { s_name: 'alice', access_right: 0, main_page: 'viewer' } },
  { name: 'access: streamer', method: 'GET', path: '/user/access_right', as: 'carol', status: 200, exact: { s_name: 'carol', access_right: 1, main_page: 'streamer' } },
  { name: 'access: admin', method: 'GET', path: '/user/access_right', as: 'root', status: 200, exact: { s_name: 'root', access_right: 9, main_page: 'admin' } },
  { name: 'access: no token', method: 'GET', path: '/user/access_right', status: 401, exact: err('Unauthorized') },
  // POST /user/search
  { name: 'search: case-insensitive', method: 'POST', path: '/user/search', body: { s_name: 'ALI' }, status: 200, exact: [{ s_name: 'alice', live: true }] },
  { name: 'search: blank', method: 'POST', path: '/user/search', body: { s_name: '' }, status: 400, exact: err('Missing required parameters') },
  { name: 'search: none', method: 'POST', path: '/user/search', body: { s_name: 'zzz' }, status: 400, exact: err('No results found for s_name: zzz') },
  { name: 'search: % is literal', method: 'POST', path: '/user/search', body: { s_name: '%' }, status: 200, exact: [{ s_name: 'per%cent', live: false }] },
  { name: 'search: _ is literal', method: 'POST', path: '/user/search', body: { s_name: 'r_s' }, status: 200, exact: [{ s_name: 'under_score', live: false }] },
  { name: 'search: \\ is literal', method: 'POST', path: '/user/search', body: { s_name: 'k\\s' }, status: 200, exact: [{ s_name: 'back\\slash', live: false }] },
  {
    name: 'search: live first', method: 'POST', path: '/user/search', body: { s_name: 'E' }, status: 200,
    check: (b) => {
      assert.deepEqual(b[0], { s_name: 'alice', live: true });
      assert.deepEqual(new Set(names(b.slice(1))), new Set(['per%cent', 'under_score', 'underXscore', 'dave']));
      assert.ok(b.slice(1).every((r: { live: boolean }) => !r.live));
    },
  },
  // POST /user/end and GET /user/ueinfo
  { name: 'end: not the owner', method: 'POST', path: '/user/end', as: 'bob', body: { s_name: 'alice' }, status: 403, exact: err('Forbidden') },
  { name: 'end: no token', method: 'POST', path: '/user/end', body: { s_name: 'alice' }, status: 401, exact: err('Unauthorized') },
  { name: 'end: ends', method: 'POST', path: '/user/end', as: 'alice', body: { s_name: 'alice' }, status: 200, exact: { s_name: 'alice', duration_s: 90, peak_people: 4, donated: 15, new_followers: 1 } },
  { name: 'end: not live', method: 'POST', path: '/user/end', as: 'alice', body: { s_name: 'alice' }, status: 400, exact: err('Not live') },
  { name: 'people: after the end', method: 'GET', path: '/user/current_people?s_name=alice', status: 200, exact: people(0, 0) },
  { name: 'ueinfo: totals', method: 'GET', path: '/user/ueinfo?s_name=alice', status: 200, exact: { s_name: 'alice', i_follower: 1, i_donate: 15, time_streaming: 90, streams: 1 } },
  { name: 'ueinfo: gift while offline still counts', method: 'PUT', path: '/user/money_follow', as: 'carol', body: { s_name: 'alice', i_donate: 1, follow: true }, status: 200, exact: { s_name: 'alice', i_follower: 2, i_donate: 16 } },
  { name: 'ueinfo: second stream', before: async (s) => void (await runLiveStep(s, { name: 'again', method: 'POST', path: '/user/live', as: 'alice', body: { s_name: 'alice' }, status: 200 })), method: 'GET', path: '/user/ueinfo?s_name=alice', status: 200, exact: { s_name: 'alice', i_follower: 2, i_donate: 16, time_streaming: 90, streams: 2 } },
  { name: 'ueinfo: unknown', method: 'GET', path: '/user/ueinfo?s_name=ghost', status: 404, exact: err('No such user') },
  { name: 'ueinfo: blank', method: 'GET', path: '/user/ueinfo', status: 400, exact: err('Missing required parameters') },
  // POST /user/logout (monitor surface): the token stops working here at once
  { name: 'logout', method: 'POST', path: '/user/logout', as: 'dave', status: 200, exact: { message: 'Logout successful' } },
  { name: 'logout: token refused afterwards', method: 'GET', path: '/user/access_right', as: 'dave', status: 401, exact: err('Unauthorized') },
];

for (const d of await dialects()) {
  describe(`live scenarios (${d.name})`, { skip: d.skip }, () => {
    let s: LiveScene;
    before(async () => {
      s = await startLiveScene(d.name);
      for (const name of ['alice', 'bob', 'per%cent', 'under_score', 'underXscore', 'back\\slash']) await addUser(s, name);
      await addUser(s, 'carol', 1);
      await addUser(s, 'root', 9);
    });
    after(() => s?.stop());
    for (const step of SCENARIOS) test(step.name, () => runLiveStep(s, step));
  });
}
