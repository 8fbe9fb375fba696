import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';

/** Each captcha picture costs a render, so one client address gets a bounded number a minute. */

describe('iHome captcha pictures per client address', () => {
  let db: TestDatabase;
  let srv: TestServer;

  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startTestServer(db, { env: { CAPTCHA_PER_IP_PER_MINUTE: '3' } });
  });
  after(async () => {
    await srv?.stop();
    await db?.drop();
  });

  test('three pictures, then 429 with the iHome "too frequent" body', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${srv.baseUrl}/api/v1.0/image_codes/limit-${i}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      await res.arrayBuffer();
    }
    const res = await fetch(`${srv.baseUrl}/api/v1.0/image_codes/limit-3`);
    assert.equal(res.status, 429);
    assert.deepEqual(await res.json(), { errcode: '4201', errmsg: '请求过于频繁，请稍后重试' });
  });
});
