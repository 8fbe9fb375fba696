import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { http } from '../../../test/support/clients.js';
import { AppError, defaultStatusFor, ERROR_CODES, type ErrorCode } from '../errors.js';
import { createLogger } from '../log.js';
import { BODY_TOO_LARGE, classifyError, installErrorFunnel, type ErrorReplies, type WireReply } from './error-funnel.js';
import { parseEveryBodyAsJson } from './http-server.js';

type LogLine = Record<string, any> & { level: number; msg: string };

const WARN = 40;
const ERROR = 50;
const OUTAGE_CAUSE = 'connect ECONNREFUSED 10.0.0.7:6379';
const BUG_DETAIL = 'row 17 has no column "pasword"';

/** A surface whose wire echoes what the funnel handed it; bad input is HTTP 200, as iHome answers it. */
const mapped = (error: Parameters<ErrorReplies[ErrorCode]>[0]): WireReply => ({
  status: error.code === 'bad_request' ? 200 : error.status,
  body: { wire: 'test', code: error.code, suggested: error.status, message: error.message, origin: error.origin, field: error.field ?? null },
  headers: { 'x-wire': 'test' },
});
const TEST_REPLIES = Object.fromEntries(ERROR_CODES.map((code) => [code, mapped])) as unknown as ErrorReplies;

/** What each code's route throws: an outage with a driver error, a rate limit that knows its wait, a conflict naming its field. */
function appErrorFor(code: ErrorCode): AppError {
  const details: ConstructorParameters<typeof AppError>[2] = {
    unavailable: { cause: new Error(OUTAGE_CAUSE) },
    rate_limited: { retryAfterMs: 2500 },
    conflict: { field: 'email' },
    internal: { cause: new Error(BUG_DETAIL) },
  }[code as string];
  return new AppError(code, `${code} happened`, details);
}

describe('error funnel: one handler, each surface its own wire', () => {
  const lines: LogLine[] = [];
  let server: FastifyInstance;
  let baseUrl: string;

  before(async () => {
    const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    server = Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 }) as unknown as FastifyInstance;
    await server.register(async (surface) => {
      parseEveryBodyAsJson(surface);
      installErrorFunnel(surface, 'test', TEST_REPLIES);
      surface.get<{ Params: { code: ErrorCode } }>('/app/:code', async (req) => {
        throw appErrorFor(req.params.code);
      });
      surface.get('/limited-without-wait', async () => {
        throw new AppError('rate_limited', 'slow down');
      });
      surface.get('/bug', async () => {
        throw new Error(BUG_DETAIL);
      });
      surface.post('/echo', async (req) => ({ got: req.body }));
    });
    // Fastify's own parsers and a schema: 415 for an unknown type, validation errors.
    await server.register(async (surface) => {
      installErrorFunnel(surface, 'strict', TEST_REPLIES);
      surface.post('/strict', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({ ok: true }));
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  /** Log lines written while `act` ran. */
  async function logged(act: () => Promise<void>): Promise<LogLine[]> {
    const from = lines.length;
    await act();
    return lines.slice(from);
  }

  for (const code of ERROR_CODES) {
    test(`AppError ${code}: the surface's reply, with the code, the usual status and the message`, async () => {
      const res = await http(baseUrl, 'GET', `/app/${code}`);
      assert.equal(res.status, code === 'bad_request' ? 200 : defaultStatusFor[code]);
      assert.equal(res.headers.get('x-wire'), 'test');
      assert.deepEqual(res.body, {
        wire: 'test',
        code,
        suggested: defaultStatusFor[code],
        message: `${code} happened`,
        origin: 'app',
        field: code === 'conflict' ? 'email' : null,
      });
    });
  }

  test('a client error logs nothing at warn or above', async () => {
    const clientCodes = ERROR_CODES.filter((code) => defaultStatusFor[code] < 500);
    const written = await logged(async () => {
      for (const code of clientCodes) await http(baseUrl, 'GET', `/app/${code}`);
    });
    assert.deepEqual(
      written.filter((line) => line.level >= WARN),
      [],
    );
  });

  test('an outage: 503, one warn line with the driver error only, nothing at error level', async () => {
    const written = await logged(async () => {
      const res = await http(baseUrl, 'GET', '/app/unavailable');
      assert.equal(res.status, 503);
      assert.ok(!JSON.stringify(res.body).includes(OUTAGE_CAUSE), 'the cause stays in the log');
    });
    assert.deepEqual(
      written.map((line) => line.level),
      [WARN],
    );
    assert.equal(written[0]!.err.message, OUTAGE_CAUSE);
    assert.equal(written[0]!.msg, 'test request: dependency unavailable');
  });

  test('a bug: 500 "Internal error", one error line with the stack', async () => {
    const written = await logged(async () => {
      const res = await http(baseUrl, 'GET', '/bug');
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { wire: 'test', code: 'internal', suggested: 500, message: 'Internal error', origin: 'unexpected', field: null });
    });
    assert.deepEqual(
      written.map((line) => line.level),
      [ERROR],
    );
    assert.equal(written[0]!.msg, 'test request failed');
    assert.equal(written[0]!.err.message, BUG_DETAIL);
    assert.match(written[0]!.err.stack, /\n\s+at /);
  });

  test('an AppError internal logs the failure it carries, with its stack', async () => {
    const written = await logged(async () => void (await http(baseUrl, 'GET', '/app/internal')));
    assert.deepEqual(
      written.map((line) => [line.level, line.err.message]),
      [[ERROR, BUG_DETAIL]],
    );
    assert.match(written[0]!.err.stack, /\n\s+at /);
  });

  test('a rate limit that knows its wait sets Retry-After in whole seconds; one that does not sets none', async () => {
    assert.equal((await http(baseUrl, 'GET', '/app/rate_limited')).headers.get('retry-after'), '3');
    const unknown = await http(baseUrl, 'GET', '/limited-without-wait');
    assert.equal(unknown.status, 429);
    assert.equal(unknown.headers.get('retry-after'), null);
  });

  test("Fastify's own refusals are bad input with their status, logged below warn", async () => {
    const written = await logged(async () => {
      const badJson = await http(baseUrl, 'POST', '/echo', { rawBody: '{"a":', headers: { 'content-type': 'application/json' } });
      assert.deepEqual([badJson.status, badJson.body.code, badJson.body.suggested, badJson.body.message, badJson.body.origin], [
        200,
        'bad_request',
        400,
        'Body is not valid JSON',
        'framework',
      ]);
      const huge = await http(baseUrl, 'POST', '/echo', { body: { text: 'x'.repeat(2000) } });
      assert.deepEqual([huge.status, huge.body.code, huge.body.message], [413, 'payload_too_large', BODY_TOO_LARGE]);
      const unsupported = await http(baseUrl, 'POST', '/strict', { rawBody: '<a/>', headers: { 'content-type': 'application/xml' } });
      assert.deepEqual([unsupported.body.code, unsupported.body.suggested], ['bad_request', 415]);
      const invalid = await http(baseUrl, 'POST', '/strict', { body: { other: 1 } });
      assert.deepEqual([invalid.body.code, invalid.body.suggested, invalid.body.origin], ['bad_request', 400, 'framework']);
      assert.match(invalid.body.message, /name/);
    });
    assert.deepEqual(
      written.filter((line) => line.level >= WARN),
      [],
    );
  });

  test('anything that is not an Error is internal too', () => {
    assert.deepEqual(classifyError('a string'), { code: 'internal', status: 500, message: 'Internal error', origin: 'unexpected' });
    assert.deepEqual(classifyError(null), { code: 'internal', status: 500, message: 'Internal error', origin: 'unexpected' });
    assert.equal(classifyError(Object.assign(new Error('gateway'), { statusCode: 502 })).code, 'internal');
  });

  test('a reply table must answer every code (checked by the compiler)', () => {
    const answer = (): WireReply => ({ status: 400, body: {} });
    // @ts-expect-error: every code but bad_request is missing, so this table does not compile.
    const incomplete: ErrorReplies = { bad_request: answer };
    assert.equal(Object.keys(incomplete).length, 1);
  });
});
