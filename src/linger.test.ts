import { after, test } from 'node:test';
const t0 = Date.now();
const { createTestDatabase, startTestServer } = await import('../test/support/stoa.ts');
console.log('import took', Date.now() - t0);
const db = await createTestDatabase('sqlite');
const t1 = Date.now();
const server = await startTestServer(db, {});
console.log('start took', Date.now() - t1);
test('x', async () => {});
after(async () => {
  const t = Date.now();
  await server.stop();
  await db.drop();
  console.log('stop took', Date.now() - t);
  setTimeout(() => console.log(process.getActiveResourcesInfo()), 100).unref();
});
