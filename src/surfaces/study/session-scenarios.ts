import assert from 'node:assert/strict';
import { http } from '../../../test/support/clients.js';
import { updateAccessLevel } from '../../core/users/user-repo.js';
import { closeStudySession, insertStudySession } from './repo.js';
import { STUDY_ADMIN_LEVEL } from './service.js';
import { at, badRequest, basic, NOT_FOUND, UNAUTHORIZED, type Scene, type Step } from './test-helpers.js';

const PW = 'correct horse';
const alice = basic('alice', PW);
const bob = basic('bob', PW);
const dave = basic('dave', PW);
const DAY = 24 * 3600 * 1000;
const B = (s: Scene) => `${s.srv.baseUrl}/api/v1.0`;
const study = (label: string, owner: string, start: string, end: string | null) => (s: Scene) => ({
  id: s.ids[label],
  url: `${B(s)}/studys/${s.ids[label]}`,
  creator: `${B(s)}/users/${s.ids[owner]}`,
  start_time: start,
  end_time: end,
});
const keepStudy = (label: string) => (res: { body: any; headers: Headers }, s: Scene) => {
  s.ids[label] = res.body.id;
  assert.equal(res.headers.get('location'), res.body.url);
};
const studyPath = (label: string) => (s: Scene) => `/api/v1.0/studys/${s.ids[label]}`;
const EMPTY_PAGE = { count: 0, next: null, prev: null, studys: [] };
const FORBIDDEN = { error: 'forbidden', message: 'Insufficient permissions' };

/** Asks for `/studys` as `name` and checks that the page holds only sessions that user may see. */
async function visibleCreators(s: Scene, name: string): Promise<{ count: number; creators: Set<string> }> {
  const res = await http(s.srv.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic(name, PW) });
  assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
  return { count: res.body.count, creators: new Set(res.body.studys.map((x: any) => x.creator)) };
}

/**
 * Sessions, lists, pagination and stats. Runs after the auth table (alice, bob and dave
 * exist; `s.ids` holds their ids).
 */
export const SESSION_SCENARIOS: Step[] = [
  { name: 'clock to 10:00', act: (s) => s.clock.set(at(10)) },
  { name: 'GET /studys: empty list', method: 'GET', path: '/api/v1.0/studys', headers: alice, status: 200, exact: EMPTY_PAGE },
  { name: 'GET /studys/: same list', method: 'GET', path: '/api/v1.0/studys/', headers: alice, status: 200, exact: EMPTY_PAGE },
  { name: 'GET /studys needs auth', method: 'GET', path: '/api/v1.0/studys/', status: 401, exact: UNAUTHORIZED },

  // POST /studys/
  { name: 'start: bad time format', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: '2026/01/10 09:00' }, status: 400, exact: badRequest('start_time must be a UTC time formatted YYYY-MM-DD HH:MM:SS') },
  { name: 'start: ISO format is not the wire format', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: '2026-01-10T09:00:00Z' }, status: 400, fields: badRequest() },
  { name: 'start: impossible date', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: '2026-02-30 09:00:00' }, status: 400, fields: badRequest() },
  { name: 'start: number instead of a time', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: 1767000000 }, status: 400, fields: badRequest() },
  { name: 'start: in the future', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: '2026-01-10 10:00:01' }, status: 400, exact: badRequest('start_time must not be in the future') },
  { name: 'start: malformed JSON', method: 'POST', path: '/api/v1.0/studys/', headers: { ...alice, 'content-type': 'application/json' }, rawBody: '{"start_time"', status: 400, exact: badRequest('Body is not valid JSON') },
  { name: 'start: body not an object', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: 'now', status: 400, exact: badRequest('Body must be a JSON object') },
  { name: 'start: needs auth', method: 'POST', path: '/api/v1.0/studys/', body: {}, status: 401, exact: UNAUTHORIZED },
  { name: 'start (no body): 201, starts now, Location', method: 'POST', path: '/api/v1.0/studys/', headers: alice, status: 201, then: (res, s) => (keepStudy('a1')(res, s), assert.deepEqual(res.body, study('a1', 'alice', '2026-01-10 10:00:00', null)(s))) },
  { name: 'start: one open session at a time', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: {}, status: 400, exact: badRequest('A study session is already open: end it first') },

  // PUT /studys/<id>
  { name: 'end: not the creator', method: 'PUT', path: studyPath('a1'), headers: bob, body: {}, status: 403, exact: { error: 'forbidden', message: 'Insufficient permissions' } },
  { name: 'end: unknown session', method: 'PUT', path: '/api/v1.0/studys/999999', headers: alice, body: {}, status: 404, exact: NOT_FOUND },
  { name: 'end: bad time format', method: 'PUT', path: studyPath('a1'), headers: alice, body: { end_time: 'soon' }, status: 400, exact: badRequest('end_time must be a UTC time formatted YYYY-MM-DD HH:MM:SS') },
  { name: 'end: before start', method: 'PUT', path: studyPath('a1'), headers: alice, body: { end_time: '2026-01-10 09:59:59' }, status: 400, exact: badRequest('end_time must not be before start_time') },
  { name: 'end: in the future', method: 'PUT', path: studyPath('a1'), headers: alice, body: { end_time: '2026-01-10 11:00:00' }, status: 400, exact: badRequest('end_time must not be in the future') },
  { name: 'end: needs auth', method: 'PUT', path: studyPath('a1'), body: {}, status: 401, exact: UNAUTHORIZED },
  { name: 'clock +25 min', act: (s) => s.clock.advance(25 * 60_000) },
  { name: 'end (no body): 200, ends now', method: 'PUT', path: studyPath('a1'), headers: alice, status: 200, exact: study('a1', 'alice', '2026-01-10 10:00:00', '2026-01-10 10:25:00') },
  { name: 'end: already ended', method: 'PUT', path: studyPath('a1'), headers: alice, body: {}, status: 400, exact: badRequest('This study session has already ended') },
  { name: 'start at a past time', method: 'POST', path: '/api/v1.0/studys/', headers: alice, body: { start_time: '2026-01-10 06:00:00' }, status: 201, then: (res, s) => (keepStudy('a2')(res, s), assert.deepEqual(res.body, study('a2', 'alice', '2026-01-10 06:00:00', null)(s))) },
  { name: 'end at a given time', method: 'PUT', path: studyPath('a2'), headers: alice, body: { end_time: '2026-01-10 07:00:00' }, status: 200, exact: study('a2', 'alice', '2026-01-10 06:00:00', '2026-01-10 07:00:00') },

  // GET /studys/<id>
  { name: 'get a session', method: 'GET', path: studyPath('a1'), headers: bob, status: 200, exact: study('a1', 'alice', '2026-01-10 10:00:00', '2026-01-10 10:25:00') },
  { name: 'get: unknown session', method: 'GET', path: '/api/v1.0/studys/999999', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'get: id beyond the integer range', method: 'GET', path: '/api/v1.0/studys/123456789012345', headers: alice, status: 404, exact: NOT_FOUND },
  { name: 'get: needs auth', method: 'GET', path: studyPath('a1'), status: 401, exact: UNAUTHORIZED },

  // Races and bulk data
  { name: 'open one more for alice (counts in stats while open)', method: 'POST', path: '/api/v1.0/studys/', headers: alice, status: 201, then: keepStudy('a3') },
  {
    name: 'two racing starts for dave: exactly one opens',
    act: async (s) => {
      const results = await Promise.all([0, 1, 2].map(() => http(s.srv.baseUrl, 'POST', '/api/v1.0/studys/', { headers: dave, body: {} })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 400, 400]);
    },
  },
  {
    name: '45 closed sessions for bob, one a day going back',
    act: async (s) => {
      const db = s.srv.server.app.db;
      for (let i = 0; i < 45; i++) {
        const start = s.clock.now() - (i + 1) * DAY;
        const row = await insertStudySession(db, s.ids.bob!, start);
        await closeStudySession(db, row.id, start + 3600_000);
      }
    },
  },
  { name: 'clock +5 min (10:30)', act: (s) => s.clock.advance(5 * 60_000) },

  // Who sees which sessions
  { name: "alice's /studys: only her 3", method: 'GET', path: '/api/v1.0/studys', headers: alice, status: 200, then: (res, s) => (assert.equal(res.body.count, 3), assert.deepEqual(res.body.studys.map((x: any) => x.id), [s.ids.a3, s.ids.a2, s.ids.a1])) },
  {
    name: "bob's /studys: only his 45, links on /studys", method: 'GET', path: '/api/v1.0/studys', headers: bob, status: 200,
    then: (res, s) => {
      assert.equal(res.body.count, 45);
      assert.equal(res.body.next, `${B(s)}/studys/?page=2`);
      assert.ok(res.body.studys.every((x: any) => x.creator === `${B(s)}/users/${s.ids.bob}`));
    },
  },
  { name: "dave's /studys before he is an admin: only his 1", method: 'GET', path: '/api/v1.0/studys', headers: dave, status: 200, fields: { count: 1 } },
  { name: 'dave becomes an admin (level 9)', act: (s) => updateAccessLevel(s.srv.server.app.db, s.ids.dave!, STUDY_ADMIN_LEVEL) },
  {
    name: 'a kept page is never served to another viewer',
    act: async (s) => {
      const own = (name: string) => `${B(s)}/users/${s.ids[name]}`;
      const counts: Record<string, number> = { alice: 3, bob: 45, dave: 49 };
      // Twice round: the second round reads pages kept by the first with no commit between.
      for (let round = 0; round < 2; round++) {
        for (const name of ['alice', 'bob', 'dave', 'bob', 'alice']) {
          const seen = await visibleCreators(s, name);
          assert.equal(seen.count, counts[name], `${name}'s count`);
          if (name !== 'dave') assert.deepEqual([...seen.creators], [own(name)], `${name} sees only their own`);
        }
      }
    },
  },

  // Pagination (dave, an admin, sees everyone's 49)
  {
    name: 'page 1: 20 newest, next, no prev', method: 'GET', path: '/api/v1.0/studys', headers: dave, status: 200,
    then: (res, s) => {
      assert.equal(res.body.count, 49);
      assert.equal(res.body.studys.length, 20);
      assert.equal(res.body.next, `${B(s)}/studys/?page=2`);
      assert.equal(res.body.prev, null);
      const ids = res.body.studys.map((x: any) => x.id);
      assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a));
    },
  },
  { name: 'page 2: next and prev', method: 'GET', path: '/api/v1.0/studys/?page=2', headers: dave, status: 200, fields: (s) => ({ count: 49, next: `${B(s)}/studys/?page=3`, prev: `${B(s)}/studys/?page=1` }) },
  { name: 'page 3: the oldest 9, alice first-created last', method: 'GET', path: '/api/v1.0/studys/?page=3', headers: dave, status: 200, then: (res, s) => (assert.equal(res.body.studys.length, 9), assert.equal(res.body.next, null), assert.deepEqual(res.body.studys.at(-1), study('a1', 'alice', '2026-01-10 10:00:00', '2026-01-10 10:25:00')(s))) },
  { name: 'page past the end: empty', method: 'GET', path: '/api/v1.0/studys/?page=9', headers: dave, status: 200, fields: (s) => ({ count: 49, studys: [], next: null, prev: `${B(s)}/studys/?page=8` }) },
  { name: "bob's page 3: his oldest 5", method: 'GET', path: '/api/v1.0/studys/?page=3', headers: bob, status: 200, then: (res, s) => (assert.equal(res.body.count, 45), assert.equal(res.body.studys.length, 5), assert.equal(res.body.next, null), assert.equal(res.body.prev, `${B(s)}/studys/?page=2`)) },
  { name: 'page 0: 400', method: 'GET', path: '/api/v1.0/studys/?page=0', headers: alice, status: 400, exact: badRequest('page must be a whole number from 1') },
  { name: 'page abc: 400', method: 'GET', path: '/api/v1.0/studys/?page=abc', headers: alice, status: 400, exact: badRequest('page must be a whole number from 1') },
  { name: 'page -1: 400', method: 'GET', path: '/api/v1.0/studys?page=-1', headers: alice, status: 400, fields: badRequest() },

  // GET /users/<id>/studys: the owner or an admin
  {
    name: "bob's own list: only his, 3 pages", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.bob}/studys/`, headers: bob, status: 200,
    then: (res, s) => {
      assert.equal(res.body.count, 45);
      assert.equal(res.body.next, `${B(s)}/users/${s.ids.bob}/studys/?page=2`);
      assert.ok(res.body.studys.every((x: any) => x.creator === `${B(s)}/users/${s.ids.bob}`));
    },
  },
  { name: "alice may not read bob's list: 403", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.bob}/studys/`, headers: alice, status: 403, exact: FORBIDDEN },
  { name: "bob may not read alice's list: 403", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}/studys`, headers: bob, status: 403, exact: FORBIDDEN },
  { name: "an admin reads bob's list", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.bob}/studys/?page=3`, headers: dave, status: 200, fields: (s) => ({ count: 45, next: null, prev: `${B(s)}/users/${s.ids.bob}/studys/?page=2` }) },
  { name: "alice's own list, page 1", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}/studys/?page=1`, headers: alice, status: 200, then: (res, s) => (assert.equal(res.body.count, 3), assert.deepEqual(res.body.studys.map((x: any) => x.id), [s.ids.a3, s.ids.a2, s.ids.a1])) },
  { name: "user's list: bad page", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}/studys/?page=x`, headers: alice, status: 400, fields: badRequest() },
  { name: "user's list: unknown user is 404 before any permission check", method: 'GET', path: '/api/v1.0/users/999998/studys/', headers: bob, status: 404, exact: NOT_FOUND },

  // GET /users/<id>/stats
  {
    name: "alice's stats: closed sessions plus the open one until now", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.alice}/stats`, headers: alice, status: 200,
    then: (res) => {
      assert.deepEqual(Object.keys(res.body).sort(), ['by_day', 'sessions', 'total_s']);
      assert.equal(res.body.total_s, 1500 + 3600 + 300);
      assert.equal(res.body.sessions, 3);
      assert.equal(res.body.by_day.length, 30);
      assert.deepEqual(res.body.by_day[0], { date: '2025-12-12', total_s: 0 });
      assert.deepEqual(res.body.by_day[29], { date: '2026-01-10', total_s: 5400 });
    },
  },
  {
    name: "bob's stats: only the last 30 days count", method: 'GET', path: (s) => `/api/v1.0/users/${s.ids.bob}/stats`, headers: alice, status: 200,
    then: (res) => {
      assert.equal(res.body.sessions, 29);
      assert.equal(res.body.total_s, 29 * 3600);
      assert.deepEqual(res.body.by_day[28], { date: '2026-01-09', total_s: 3600 });
      assert.deepEqual(res.body.by_day[29], { date: '2026-01-10', total_s: 0 });
    },
  },
];
