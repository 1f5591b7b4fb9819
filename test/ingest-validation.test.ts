import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/adapters/clock/virtual.js';
import { Health } from '../src/api/schemas.js';
import { ADMIN_KEY, basic, bearer, startTestHub, WRITE_KEY, type TestHub } from './helpers.js';

interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

interface Request {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string | Buffer;
}

const send = (t: TestHub, r: Request): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: r.method ?? 'POST', url: r.url, headers: r.headers ?? {}, ...(r.payload === undefined ? {} : { payload: r.payload }) });

const json = (body: unknown, extra: Record<string, string> = {}): Pick<Request, 'headers' | 'payload'> => ({
  headers: { authorization: basic(), 'content-type': 'application/json', ...extra },
  payload: JSON.stringify(body),
});

/** Asserts an RFC 9457 problem with this status and returns it. */
function problemOf(res: LightMyRequestResponse, status: number): ProblemBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = res.json<ProblemBody>();
  expect(p).toMatchObject({ type: expect.stringMatching(/\S/) as unknown, title: expect.stringMatching(/\S/) as unknown, status, detail: expect.stringMatching(/\S/) as unknown });
  for (const e of p.errors ?? []) expect(e).toEqual({ path: expect.any(String) as unknown, message: expect.stringMatching(/\S/) as unknown });
  return p;
}

const pathsOf = (p: ProblemBody): string[] => (p.errors ?? []).map((e) => e.path);

let seq = 0;
const mid = (): string => `msg-${process.pid}-${++seq}`;
const track = (userId: string, extra: Record<string, unknown> = {}) => ({ type: 'track', event: 'Clicked', userId, messageId: mid(), ...extra });

async function profileId(t: TestHub, type: string, value: string): Promise<string> {
  const res = await send(t, { method: 'GET', url: `/v1/profiles/by/${type}/${encodeURIComponent(value)}`, headers: { authorization: bearer() } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

interface TimelineItem {
  readonly messageId: string;
  readonly type: string;
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly properties?: Record<string, unknown>;
}

async function timeline(t: TestHub, id: string, query = ''): Promise<{ items: TimelineItem[]; nextCursor: string | null }> {
  const res = await send(t, { method: 'GET', url: `/v1/profiles/${id}/timeline${query}`, headers: { authorization: bearer() } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

// ---------------------------------------------------------------------------------------------
// Fuzzed bad requests
// ---------------------------------------------------------------------------------------------

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
type CallType = (typeof TYPES)[number];
type Call = Record<string, unknown>;

interface Mutation {
  readonly name: string;
  /** The bad field, relative to the call ('' for the call itself). */
  readonly path: string;
  readonly types: readonly CallType[];
  readonly apply: (c: Call) => Call;
  readonly status: 400 | 413;
}

interface BadRequest {
  readonly label: string;
  readonly request: Request;
  readonly status: number;
  /** Each must be among `errors[].path`. */
  readonly paths: readonly string[];
}

const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};

const set = (field: string, value: unknown) => (c: Call): Call => ({ ...c, [field]: value });
const del = (...fields: string[]) => (c: Call): Call => Object.fromEntries(Object.entries(c).filter(([k]) => !fields.includes(k)));
const NOT_ALIAS = TYPES.filter((t) => t !== 'alias');

const MUTATIONS: readonly Mutation[] = [
  ...([[{ id: 1 }, 'object'], [[], 'array'], [true, 'boolean'], [{ a: 'b' }, 'object']] as const).map(([v, what]) => mut(`userId ${what}`, 'userId', TYPES, set('userId', v))),
  ...[{}, false, ['x']].map((v) => mut(`anonymousId ${JSON.stringify(v)}`, 'anonymousId', TYPES, set('anonymousId', v))),
  ...['yesterday', 1717243200000, '2024-13-01T00:00:00Z', '2023-02-29', '', null, true, '2024-06-01T25:00:00Z', '01/06/2024'].map((v) =>
    mut(`timestamp ${JSON.stringify(v)}`, 'timestamp', TYPES, set('timestamp', v))),
  ...['soon', 5].map((v) => mut(`sentAt ${JSON.stringify(v)}`, 'sentAt', TYPES, set('sentAt', v))),
  ...['later', {}].map((v) => mut(`originalTimestamp ${JSON.stringify(v)}`, 'originalTimestamp', TYPES, set('originalTimestamp', v))),
  ...[[1, 2], 'x', 3, true].map((v) => mut(`properties ${JSON.stringify(v)}`, 'properties', ['track', 'page', 'screen'], set('properties', v))),
  ...['', 3, null, {}, ['E']].map((v) => mut(`event ${JSON.stringify(v)}`, 'event', ['track'], set('event', v))),
  mut('event missing', 'event', ['track'], del('event')),
  ...['vip', [1], 7, false].map((v) => mut(`traits ${JSON.stringify(v)}`, 'traits', ['identify', 'group'], set('traits', v))),
  ...[3, 'web', [], null].map((v) => mut(`context ${JSON.stringify(v)}`, 'context', TYPES, set('context', v))),
  ...['all', 1, []].map((v) => mut(`integrations ${JSON.stringify(v)}`, 'integrations', TYPES, set('integrations', v))),
  ...[7, '', {}].map((v) => mut(`messageId ${JSON.stringify(v)}`, 'messageId', TYPES, set('messageId', v))),
  ...[5, {}, []].map((v) => mut(`name ${JSON.stringify(v)}`, 'name', ['page', 'screen'], set('name', v))),
  ...['', {}, null, true].map((v) => mut(`groupId ${JSON.stringify(v)}`, 'groupId', ['group'], set('groupId', v))),
  mut('groupId missing', 'groupId', ['group'], del('groupId')),
  ...['', [], null].map((v) => mut(`previousId ${JSON.stringify(v)}`, 'previousId', ['alias'], set('previousId', v))),
  mut('previousId missing', 'previousId', ['alias'], del('previousId')),
  mut('neither userId nor anonymousId', 'userId', NOT_ALIAS, del('userId', 'anonymousId')),
  mut('userId null, anonymousId empty', 'userId', TYPES, (c) => ({ ...c, userId: null, anonymousId: '' })),
  mut('alias without userId', 'userId', ['alias'], (c) => ({ ...del('userId')(c), anonymousId: 'anon' })),
  mut('nested 200 levels', '', TYPES, set('context', nested(200))),
  mut('over 32 KB', '', TYPES, set('context', { blob: 'x'.repeat(33 * 1024) }), 413),
];

function mut(name: string, path: string, types: readonly CallType[], apply: (c: Call) => Call, status: 400 | 413 = 400): Mutation {
  return { name, path, types, apply, status };
}

const idArb = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.integer());
const tsArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const dataArb = fc.dictionary(fc.constantFrom('plan', 'price', 'tags', 'nested', 'ok'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const idsArb = (type: CallType): fc.Arbitrary<Call> =>
  type === 'alias'
    ? fc.record({ userId: idArb }, { requiredKeys: ['userId'] })
    : fc.oneof(
        fc.record({ userId: idArb }),
        fc.record({ anonymousId: idArb }),
        fc.record({ userId: idArb, anonymousId: idArb }),
        fc.record({ userId: fc.constant(null), anonymousId: idArb }),
      );

/** A valid call of this type, as an SDK would send it. */
const validCall = (type: CallType): fc.Arbitrary<Call> =>
  fc
    .record({
      ids: idsArb(type),
      messageId: fc.option(fc.uuid(), { nil: undefined }),
      timestamp: fc.option(tsArb, { nil: undefined }),
      context: fc.option(fc.record({ ip: fc.ipV4() }), { nil: undefined }),
      data: dataArb,
    })
    .map(({ ids, messageId, timestamp, context, data }): Call => {
      const base = { type, ...ids, messageId, timestamp, context };
      const byType: Record<CallType, Call> = {
        track: { event: 'Clicked', properties: data },
        identify: { traits: data },
        page: { name: 'Home', properties: data },
        screen: { name: 'Settings', properties: data },
        group: { groupId: 'acme', traits: data },
        alias: { previousId: 'prev-1' },
      };
      return JSON.parse(JSON.stringify({ ...base, ...byType[type] })) as Call; // drops undefined fields
    });

const typeArb = fc.constantFrom(...TYPES);
const anyValidCall = typeArb.chain(validCall);

/** A call with one mutation applied: the call and where its error must be reported. */
const badCall: fc.Arbitrary<{ call: Call; mutation: Mutation }> = fc
  .constantFrom(...MUTATIONS)
  .chain((mutation) => fc.constantFrom(...mutation.types).chain(validCall).map((call) => ({ call: mutation.apply(call), mutation })));

/** A batch item that is wrong in itself: bad field, unknown type, or not an object. */
const badItem: fc.Arbitrary<{ item: unknown; path: string; status: 400 | 413 }> = fc.oneof(
  { weight: 6, arbitrary: badCall.map(({ call, mutation }) => ({ item: call, path: mutation.path, status: mutation.status })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(anyValidCall, fc.constantFrom<unknown>('purchase', 'Track', 'TRACK', 3, null, '', undefined))
      .map(([call, type]) => ({ item: type === undefined ? del('type')(call) : { ...call, type }, path: 'type', status: 400 as const })),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(3, 'track', null, [], [{ type: 'track' }], true).map((item) => ({ item, path: '', status: 400 as const })) },
);

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', undefined];
const transportArb = fc.record({ contentType: fc.constantFrom(...CONTENT_TYPES), gzip: fc.boolean() });

function headersFor(opts: { contentType: string | undefined; gzip: boolean }, auth: string | null): Record<string, string> {
  return {
    ...(auth === null ? {} : { authorization: auth }),
    ...(opts.contentType === undefined ? {} : { 'content-type': opts.contentType }),
    ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
  };
}

/** A POST of `text`, gzip-compressed or not; `auth` is the Authorization header (none when null). */
function request(url: string, text: string | Buffer, opts: { contentType: string | undefined; gzip: boolean }, auth: string | null = basic()): Request {
  return { url, headers: headersFor(opts, auth), payload: opts.gzip ? gzipSync(text) : text };
}

/** A single call to `/v1/{type}` with one bad field; the write key as Basic auth or in the body. */
const badSingle: fc.Arbitrary<BadRequest> = fc
  .tuple(badCall, fc.boolean(), fc.boolean(), transportArb)
  .map(([{ call, mutation }, keyInBody, keepType, transport]) => {
    const type = call.type as CallType;
    const body = { ...(keepType ? call : del('type')(call)), ...(keyInBody ? { writeKey: WRITE_KEY } : {}) };
    return {
      label: `single ${type}: ${mutation.name}`,
      request: request(`/v1/${type}`, JSON.stringify(body), transport, keyInBody ? null : basic()),
      status: mutation.status,
      paths: [mutation.path],
    };
  });

/** A call to `/v1/{type}` whose body says another type. */
const wrongTypeSingle: fc.Arbitrary<BadRequest> = fc
  .tuple(anyValidCall, typeArb, fc.constantFrom<unknown>('purchase', 7, null), fc.boolean(), transportArb)
  .map(([call, endpoint, unknown, useUnknown, transport]) => {
    const type = useUnknown || endpoint === call.type ? unknown : call.type;
    return { label: `single /v1/${endpoint} with type ${JSON.stringify(type)}`, request: request(`/v1/${endpoint}`, JSON.stringify({ ...call, type }), transport), status: 400, paths: ['type'] };
  });

/** A batch of valid calls with one or more bad ones mixed in: all of it refused, each bad one named. */
const mixedBatch: fc.Arbitrary<BadRequest> = fc
  .tuple(fc.array(anyValidCall, { maxLength: 5 }), fc.array(fc.tuple(badItem, fc.nat()), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.option(tsArb, { nil: undefined }), transportArb)
  .map(([good, bad, keyInBody, sentAt, transport]) => {
    type Slot = { readonly item: unknown; readonly bad?: { readonly path: string; readonly status: number } };
    const slots: Slot[] = good.map((item) => ({ item }));
    for (const [{ item, path, status }, at] of bad) slots.splice(at % (slots.length + 1), 0, { item, bad: { path, status } });
    const paths = slots.flatMap((slot, i) => (slot.bad ? [slot.bad.path ? `batch[${i}].${slot.bad.path}` : `batch[${i}]`] : []));
    const items = slots.map((slot) => slot.item);
    const body = { batch: items, ...(sentAt ? { sentAt } : {}), ...(keyInBody ? { writeKey: WRITE_KEY } : {}) };
    return {
      label: `batch of ${items.length} with bad ${paths.join(', ')}`,
      request: request('/v1/batch', JSON.stringify(body), transport, keyInBody ? null : basic()),
      status: slots.some((slot) => slot.bad?.status === 413) ? 413 : 400,
      paths,
    };
  });

const endpointArb = fc.constantFrom('/v1/batch', '/v1/import', ...TYPES.map((t) => `/v1/${t}`));

/** Bodies that are not JSON: a valid body cut short, or plain garbage (plain or gzip-compressed). */
const malformedJson: fc.Arbitrary<BadRequest> = fc
  .tuple(
    endpointArb,
    fc.oneof(
      fc.tuple(anyValidCall, fc.double({ min: 0, max: 1, noNaN: true })).map(([c, f]) => {
        const text = JSON.stringify({ batch: [c] });
        return text.slice(0, 1 + Math.floor(f * (text.length - 2)));
      }),
      fc.constantFrom('{', 'nope', "{'type':'track'}", '{"type":}', 'undefined', 'NaN', '[1,]', '{"a":1}}', '{"batch":[{"type":"track",}]}', '\u0000'),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.concat([Buffer.from([0xff]), Buffer.from(b)])),
    ),
    transportArb,
  )
  .map(([url, text, transport]) => ({ label: `malformed JSON to ${url}`, request: request(url, text, transport), status: 400, paths: [''] }));

/** `Content-Encoding: gzip` on bytes that are not gzip, or gzip cut short. */
const badGzip: fc.Arbitrary<BadRequest> = fc
  .tuple(
    endpointArb,
    fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 64 }).filter((b) => b[0] !== 0x1f).map((b) => Buffer.from(b)),
      fc.tuple(anyValidCall, fc.integer({ min: 1, max: 30 })).map(([c, cut]) => {
        const gz = gzipSync(JSON.stringify({ batch: [c] }));
        return gz.subarray(0, Math.max(0, gz.length - cut));
      }),
    ),
    fc.constantFrom(...CONTENT_TYPES),
  )
  .map(([url, bytes, contentType]) => ({
    label: `bad gzip (${bytes.length} bytes) to ${url}`,
    request: { url, headers: { authorization: basic(), 'content-encoding': 'gzip', ...(contentType ? { 'content-type': contentType } : {}) }, payload: bytes },
    status: 400,
    paths: [''],
  }));

/** JSON that is not an object, to any endpoint. */
const nonObject: fc.Arbitrary<BadRequest> = fc
  .tuple(endpointArb, fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(anyValidCall, { maxLength: 2 })), transportArb)
  .map(([url, v, transport]) => ({ label: `${JSON.stringify(v).slice(0, 40)} to ${url}`, request: request(url, JSON.stringify(v), transport), status: 400, paths: [''] }));

/** A batch request whose `batch` is missing, empty or not an array. */
const batchNotArray: fc.Arbitrary<BadRequest> = fc
  .tuple(fc.constantFrom('/v1/batch', '/v1/import'), fc.constantFrom<unknown>(undefined, null, 'x', 3, {}, { 0: { type: 'track' } }, []), anyValidCall, transportArb)
  .map(([url, batch, call, transport]) => ({
    label: `batch: ${JSON.stringify(batch)}`,
    request: request(url, JSON.stringify({ ...(batch === undefined ? { events: [call] } : { batch }) }), transport),
    status: 400,
    paths: ['batch'],
  }));

/** A valid request without a usable write key. */
const badKey: fc.Arbitrary<BadRequest> = fc
  .tuple(anyValidCall, fc.constantFrom('none', 'wrong-basic', 'wrong-body', 'bearer', 'password-only'), fc.boolean(), transportArb)
  .map(([call, how, batch, transport]) => {
    const auth = { none: null, 'wrong-basic': basic('not-the-key'), 'wrong-body': null, bearer: `Bearer ${WRITE_KEY}`, 'password-only': `Basic ${Buffer.from(`:${WRITE_KEY}`).toString('base64')}` }[how];
    const keyed = how === 'wrong-body' ? { writeKey: 'not-the-key' } : {};
    const body = batch ? { batch: [call], ...keyed } : { ...call, ...keyed };
    return { label: `key ${how}`, request: request(batch ? '/v1/batch' : `/v1/${String(call.type)}`, JSON.stringify(body), transport, auth), status: 401, paths: [] };
  });

const badEncoding: fc.Arbitrary<BadRequest> = fc
  .tuple(endpointArb, fc.constantFrom('br', 'compress', 'zstd', 'gzip, gzip'), anyValidCall)
  .map(([url, encoding, call]) => ({
    label: `Content-Encoding: ${encoding}`,
    request: { url, headers: { authorization: basic(), 'content-type': 'application/json', 'content-encoding': encoding }, payload: JSON.stringify({ batch: [call] }) },
    status: 415,
    paths: [],
  }));

const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  { weight: 6, arbitrary: badSingle },
  { weight: 1, arbitrary: wrongTypeSingle },
  { weight: 6, arbitrary: mixedBatch },
  { weight: 2, arbitrary: malformedJson },
  { weight: 2, arbitrary: badGzip },
  { weight: 1, arbitrary: nonObject },
  { weight: 1, arbitrary: batchNotArray },
  { weight: 1, arbitrary: badKey },
  { weight: 1, arbitrary: badEncoding },
);

describe('fuzzed bad requests', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('every one is refused with the expected 4xx problem naming the bad field, and nothing is written', async () => {
    // Something in the log first, so "unchanged" is not just "still empty".
    expect((await send(t, { url: '/v1/batch', ...json({ batch: [track('seed-1'), track('seed-2')] }) })).statusCode).toBe(200);
    await t.settle();
    const head = await t.hub.store.log.head();
    const counts = await t.hub.store.reader.counts();
    expect(head).toBe(2);
    const seen = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(badRequest, async (bad) => {
        const before = await t.hub.store.log.head();
        const res = await send(t, bad.request);
        expect(res.statusCode, `${bad.label}: ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${bad.label}: ${res.body}`).toBeLessThan(500);
        const p = problemOf(res, bad.status);
        expect(pathsOf(p), bad.label).toEqual(expect.arrayContaining([...bad.paths]));
        expect(await t.hub.store.log.head(), bad.label).toBe(before);
        const kind = bad.label.split(/[ :]/)[0] ?? '';
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }),
      { numRuns: 500 },
    );

    // The generator reached every kind of bad request.
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining(['Content-Encoding', 'bad', 'batch', 'key', 'malformed', 'single']));
    expect(await t.hub.store.log.head()).toBe(head);
    await t.settle();
    expect(await t.hub.store.reader.counts()).toEqual(counts);
    // Control: the same hub still accepts, and the head check would have seen a write.
    expect((await send(t, { url: '/v1/track', ...json(track('after-fuzz')) })).statusCode).toBe(200);
    expect(await t.hub.store.log.head()).toBe(head + 1);
  });

  it('a batch is all or nothing: its valid calls are not stored when one is bad, and are once it is fixed', async () => {
    const good = [track('aon-1'), track('aon-2')];
    const before = await t.hub.store.log.head();
    const p = problemOf(await send(t, { url: '/v1/batch', ...json({ batch: [good[0], { ...track('aon-3'), timestamp: 'yesterday' }, good[1]] }) }), 400);
    expect(pathsOf(p)).toEqual(['batch[1].timestamp']);
    expect(p.detail).toMatch(/nothing was stored/);
    expect(await t.hub.store.log.head()).toBe(before);
    expect((await send(t, { url: '/v1/batch', ...json({ batch: good }) })).statusCode).toBe(200);
    expect(await t.hub.store.log.head()).toBe(before + 2);
  });

  it('a body nested deeper than any SDK sends (once a 503 from a stack overflow) is a 400', async () => {
    const before = await t.hub.store.log.head();
    const text = `{"type":"track","event":"x","userId":"u","properties":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const p = problemOf(await send(t, { url: '/v1/track', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: text }), 400);
    expect(p.errors?.[0]?.message).toMatch(/nested deeper than/);
    const envelope = `{"context":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}},"batch":[${JSON.stringify(track('deep'))}]}`;
    problemOf(await send(t, { url: '/v1/batch', headers: { authorization: basic() }, payload: envelope }), 400);
    expect(await t.hub.store.log.head()).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Specific behaviour
// ---------------------------------------------------------------------------------------------

describe('ingestion', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  describe('write key', () => {
    const password = (key: string) => `Basic ${Buffer.from(`:${key}`).toString('base64')}`;
    it.each([
      ['no key at all', '/v1/track', undefined, track('k'), /missing write key/],
      ['wrong Basic key', '/v1/track', basic('nope'), track('k'), /invalid write key/],
      ['key as the Basic password', '/v1/track', password(WRITE_KEY), track('k'), /missing write key/],
      ['write key as a bearer token', '/v1/track', `Bearer ${WRITE_KEY}`, track('k'), /missing write key/],
      ['wrong writeKey in the body', '/v1/track', undefined, { ...track('k'), writeKey: 'nope' }, /invalid write key/],
      ['writeKey not a string', '/v1/track', undefined, { ...track('k'), writeKey: 7 }, /missing write key/],
      ['wrong writeKey in a batch body', '/v1/batch', undefined, { batch: [track('k')], writeKey: 'nope' }, /invalid write key/],
      ['a batch without a key', '/v1/batch', undefined, { batch: [track('k')] }, /missing write key/],
    ])('%s → 401', async (_name, url, authorization, body, detail) => {
      const before = await t.hub.store.log.head();
      const res = await send(t, { url, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, payload: JSON.stringify(body) });
      expect(problemOf(res, 401).detail).toMatch(detail);
      expect(await t.hub.store.log.head()).toBe(before);
    });

    it.each([
      ['Basic auth', '/v1/track', basic(), track('k')],
      ['writeKey in the body', '/v1/identify', undefined, { type: 'identify', userId: 'k', writeKey: WRITE_KEY, messageId: mid() }],
      ['writeKey in a batch body', '/v1/batch', undefined, { batch: [track('k'), track('k')], writeKey: WRITE_KEY }],
    ])('%s → 200', async (_name, url, authorization, body) => {
      const before = await t.hub.store.log.head();
      const res = await send(t, { url, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, payload: JSON.stringify(body) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: true });
      const n = 'batch' in body ? body.batch.length : 1;
      expect(await t.hub.store.log.head()).toBe(before + n);
    });
  });

  describe('size limits (Segment: 32 KB per event, 500 KB per request)', () => {
    const big = (bytes: number) => 'x'.repeat(bytes);
    /** A batch of small valid calls whose JSON is at least `bytes` long. */
    const batchOf = (bytes: number) => {
      const batch = [];
      for (let size = 0; size < bytes; size += 1100) batch.push(track('bulk', { properties: { pad: big(1000) } }));
      return JSON.stringify({ batch });
    };

    it('an event over 32 KB → 413 naming it, alone or in a batch', async () => {
      const before = await t.hub.store.log.head();
      const one = problemOf(await send(t, { url: '/v1/track', ...json(track('big', { properties: { s: big(33 * 1024) } })) }), 413);
      expect(one.detail).toMatch(/32 KB/);
      expect(pathsOf(one)).toEqual(['']);
      const inBatch = problemOf(await send(t, { url: '/v1/batch', ...json({ batch: [track('a'), track('big', { properties: { s: big(33 * 1024) } })] }) }), 413);
      expect(inBatch.detail).toMatch(/32 KB/);
      expect(pathsOf(inBatch)).toEqual(['batch[1]']);
      expect(await t.hub.store.log.head()).toBe(before);
    });

    it('a request over 500 KB → 413, plain or gzip that expands beyond 500 KB', async () => {
      const before = await t.hub.store.log.head();
      const text = batchOf(520 * 1024);
      const plain = problemOf(await send(t, { url: '/v1/batch', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: text }), 413);
      expect(plain.detail).toMatch(/larger than 500 KB/);
      const gz = gzipSync(text);
      expect(gz.length).toBeLessThan(50 * 1024);
      for (const contentType of ['application/json', 'text/plain']) {
        const res = await send(t, { url: '/v1/batch', headers: { authorization: basic(), 'content-type': contentType, 'content-encoding': 'gzip' }, payload: gz });
        expect(problemOf(res, 413).detail).toMatch(/larger than 500 KB/);
      }
      // A gzip bomb is stopped at the limit too.
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
      expect(problemOf(await send(t, { url: '/v1/batch', headers: { authorization: basic(), 'content-encoding': 'gzip' }, payload: bomb }), 413).detail).toMatch(/500 KB/);
      expect(await t.hub.store.log.head()).toBe(before);
    });

    it('a gzip request that expands to just under 500 KB is accepted whole', async () => {
      const before = await t.hub.store.log.head();
      const text = batchOf(480 * 1024);
      const n = (JSON.parse(text) as { batch: unknown[] }).batch.length;
      expect(Buffer.byteLength(text)).toBeLessThan(500 * 1024);
      const res = await send(t, { url: '/v1/batch', headers: { authorization: basic(), 'content-type': 'text/plain', 'content-encoding': 'gzip' }, payload: gzipSync(text) });
      expect(res.statusCode, res.body).toBe(200);
      expect(await t.hub.store.log.head()).toBe(before + n);
    });
  });

  describe('encodings and content types (what real SDKs send)', () => {
    it.each([
      ['gzip', 'text/plain', gzipSync],
      ['gzip', 'application/x-www-form-urlencoded', gzipSync],
      ['gzip', 'application/json', gzipSync],
      ['x-gzip', 'application/octet-stream', gzipSync],
      ['deflate', 'text/plain', deflateSync],
      ['identity', 'text/plain', (b: Buffer) => b],
      ['identity', 'application/x-www-form-urlencoded', (b: Buffer) => b],
    ])('Content-Encoding %s with Content-Type %s is accepted and stored', async (encoding, contentType, compress) => {
      const before = await t.hub.store.log.head();
      const call = track(`enc-${encoding}-${contentType}`, { properties: { encoding } });
      const res = await send(t, {
        url: '/v1/batch',
        headers: { authorization: basic(), 'content-type': contentType, 'content-encoding': encoding },
        payload: compress(Buffer.from(JSON.stringify({ batch: [call] }))),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(await t.hub.store.log.head()).toBe(before + 1);
      const [stored] = await t.hub.store.log.readAfter(before, 10);
      expect(stored?.event).toMatchObject({ messageId: call.messageId, userId: call.userId, properties: { encoding } });
    });
  });

  describe('identifiers', () => {
    it('a numeric userId is stored and looked up as a string', async () => {
      const before = await t.hub.store.log.head();
      const userId = 424242;
      expect((await send(t, { url: '/v1/identify', ...json({ userId, traits: { plan: 'pro' }, messageId: mid() }) })).statusCode).toBe(200);
      const [stored] = await t.hub.store.log.readAfter(before, 10);
      expect(stored?.event.userId).toBe('424242');
      await t.settle();
      const res = await send(t, { method: 'GET', url: '/v1/profiles/by/userId/424242', headers: { authorization: bearer() } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ identifiers: [{ type: 'userId', value: '424242' }], traits: { plan: 'pro' } });
    });

    it('userId null with an anonymousId is valid and the event has no userId', async () => {
      const before = await t.hub.store.log.head();
      const res = await send(t, { url: '/v1/page', ...json({ userId: null, anonymousId: 'anon-null-user', name: 'Home', messageId: mid() }) });
      expect(res.statusCode, res.body).toBe(200);
      const [stored] = await t.hub.store.log.readAfter(before, 10);
      expect(stored?.event).toMatchObject({ type: 'page', anonymousId: 'anon-null-user', name: 'Home' });
      expect(stored?.event).not.toHaveProperty('userId');
      await t.settle();
      const id = await profileId(t, 'anonymousId', 'anon-null-user');
      expect((await timeline(t, id)).items.map((i) => i.type)).toEqual(['page']);
    });
  });

  describe('idempotency by messageId', () => {
    it('the same messageId in two requests → 200 twice, stored once', async () => {
      const before = await t.hub.store.log.head();
      const call = track('idem-1', { messageId: 'idem-msg-1', properties: { attempt: 1 } });
      const first = await send(t, { url: '/v1/track', ...json(call) });
      const retry = await send(t, { url: '/v1/track', ...json({ ...call, properties: { attempt: 2 } }) });
      expect([first.statusCode, retry.statusCode]).toEqual([200, 200]);
      expect(retry.json()).toEqual({ success: true });
      expect(await t.hub.store.log.head()).toBe(before + 1);
      expect((await t.hub.store.log.readAfter(before, 10)).map((e) => e.event.properties)).toEqual([{ attempt: 1 }]);
      // Once more inside a batch, with a new call beside it: only the new one is stored.
      expect((await send(t, { url: '/v1/batch', ...json({ batch: [call, track('idem-1')] }) })).statusCode).toBe(200);
      expect(await t.hub.store.log.head()).toBe(before + 2);
      await t.settle();
      const items = (await timeline(t, await profileId(t, 'userId', 'idem-1'))).items;
      expect(items.filter((i) => i.messageId === 'idem-msg-1')).toEqual([expect.objectContaining({ properties: { attempt: 1 } })]);
      expect(items).toHaveLength(2);
    });

    it('the same messageId twice within one batch → 200, stored once (the first)', async () => {
      const before = await t.hub.store.log.head();
      const a = track('idem-2', { messageId: 'idem-msg-2', properties: { copy: 'first' } });
      const res = await send(t, { url: '/v1/batch', ...json({ batch: [a, { ...a, properties: { copy: 'second' } }] }) });
      expect(res.statusCode, res.body).toBe(200);
      expect(await t.hub.store.log.head()).toBe(before + 1);
      await t.settle();
      const { items } = await timeline(t, await profileId(t, 'userId', 'idem-2'));
      expect(items).toEqual([expect.objectContaining({ messageId: 'idem-msg-2', properties: { copy: 'first' } })]);
    });
  });
});

describe('clock-skew correction (virtual clock)', () => {
  const NOW = Date.parse('2024-06-01T12:00:00.000Z');
  const HOUR = 3_600_000;
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({}, new VirtualClock(NOW));
  });
  afterAll(() => t.close());

  it('sentAt 1 h ahead of receivedAt moves the event time back by 1 h; without sentAt it is kept', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const calls = [
      { ...track('skew'), messageId: 'skew-call', timestamp: iso(NOW - 2 * HOUR), sentAt: iso(NOW + HOUR) },
      { ...track('skew'), messageId: 'skew-none', timestamp: iso(NOW - 4 * HOUR) },
    ];
    for (const c of calls) expect((await send(t, { url: '/v1/track', ...json(c) })).statusCode).toBe(200);
    // Batch-level sentAt, 1 h ahead too, with an offset time zone.
    const batch = { sentAt: '2024-06-01T15:00:00+02:00', batch: [{ ...track('skew'), messageId: 'skew-batch', timestamp: iso(NOW - 6 * HOUR) }] };
    expect((await send(t, { url: '/v1/batch', ...json(batch) })).statusCode).toBe(200);
    await t.settle();
    const { items } = await timeline(t, await profileId(t, 'userId', 'skew'));
    const at = Object.fromEntries(items.map((i) => [i.messageId, i]));
    expect(at['skew-call']).toMatchObject({ timestamp: iso(NOW - 3 * HOUR), receivedAt: iso(NOW) });
    expect(at['skew-none']).toMatchObject({ timestamp: iso(NOW - 4 * HOUR), receivedAt: iso(NOW) });
    expect(at['skew-batch']).toMatchObject({ timestamp: iso(NOW - 7 * HOUR), receivedAt: iso(NOW) });
    expect(items.map((i) => i.messageId)).toEqual(['skew-call', 'skew-none', 'skew-batch']); // newest first
  });
});

describe('overload', () => {
  it('a batch larger than maxPendingEvents → 429 with Retry-After, nothing written', async () => {
    const t = await startTestHub({ maxPendingEvents: 5 });
    try {
      const batch = (n: number) => ({ batch: Array.from({ length: n }, () => track('load')) });
      // Two requests waiting for the same group commit: the second would exceed the bound.
      const [first, second] = await Promise.all([send(t, { url: '/v1/batch', ...json(batch(3)) }), send(t, { url: '/v1/batch', ...json(batch(3)) })]);
      expect(first.statusCode).toBe(200);
      expect(problemOf(second, 429).detail).toMatch(/retry after 1 s/);
      expect(second.headers['retry-after']).toBe('1');
      expect(await t.hub.store.log.head()).toBe(3);
      // A request larger than the bound is admitted into an empty queue, else it could never succeed.
      expect((await send(t, { url: '/v1/batch', ...json(batch(6)) })).statusCode).toBe(200);
      expect(await t.hub.store.log.head()).toBe(9);
    } finally {
      await t.close();
    }
  });

  it('processing lag beyond maxLag → 429 with Retry-After, nothing written', async () => {
    const t = await startTestHub({ maxLag: 2 });
    try {
      await t.hub.processor.stop(); // processing stalls: every appended event stays unprocessed
      expect((await send(t, { url: '/v1/batch', ...json({ batch: [track('lag'), track('lag'), track('lag')] }) })).statusCode).toBe(200);
      expect(t.hub.processor.lag).toBe(3);
      const res = await send(t, { url: '/v1/track', ...json(track('lag')) });
      expect(problemOf(res, 429).detail).toMatch(/processing is behind/);
      expect(res.headers['retry-after']).toBe('5');
      expect(await t.hub.store.log.head()).toBe(3);
      const metrics = (await send(t, { method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^xhub_events_rejected_total\{reason="overloaded"\} 1$/m);
      expect(metrics).toMatch(/^xhub_processing_lag_events 3$/m);
    } finally {
      await t.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Admin API, documents and operations
// ---------------------------------------------------------------------------------------------

describe('admin API errors', () => {
  let t: TestHub;
  let id: string;
  beforeAll(async () => {
    t = await startTestHub();
    const batch = [1, 2, 3].map((n) => track('admin-user', { messageId: `admin-${n}`, timestamp: `2024-01-0${n}T00:00:00Z` }));
    expect((await send(t, { url: '/v1/batch', ...json({ batch }) })).statusCode).toBe(200);
    await t.settle();
    id = await profileId(t, 'userId', 'admin-user');
  });
  afterAll(() => t.close());

  const routes = () => [`/v1/profiles/${id}`, `/v1/profiles/${id}/timeline`, '/v1/profiles/by/userId/admin-user'];

  it.each([
    ['no Authorization', undefined, /missing admin key/],
    ['a wrong bearer token', bearer('nope'), /invalid admin key/],
    ['the write key as bearer', bearer(WRITE_KEY), /invalid admin key/],
    ['the admin key as Basic', basic(ADMIN_KEY), /missing admin key/],
  ])('%s → 401', async (_name, authorization, detail) => {
    for (const url of routes()) {
      const res = await send(t, { method: 'GET', url, headers: authorization ? { authorization } : {} });
      expect(problemOf(res, 401).detail).toMatch(detail);
    }
  });

  it('unknown profiles → 404 problem', async () => {
    for (const url of ['/v1/profiles/prof_unknown', '/v1/profiles/prof_unknown/timeline', '/v1/profiles/by/userId/nobody', '/v1/profiles/by/email/nobody%40example.com']) {
      const p = problemOf(await send(t, { method: 'GET', url, headers: { authorization: bearer() } }), 404);
      expect(p.detail).toMatch(/no profile/);
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=', 'limit'],
    ['cursor=garbage', 'cursor'],
    ['cursor=', 'cursor'],
    [`cursor=${Buffer.from('1.2.3').toString('base64url')}`, 'cursor'],
    [`cursor=${'a'.repeat(201)}`, 'cursor'],
    ['limit=5&before=2', 'before'],
  ])('?%s → 400 naming %s', async (query, field) => {
    const p = problemOf(await send(t, { method: 'GET', url: `/v1/profiles/${id}/timeline?${query}`, headers: { authorization: bearer() } }), 400);
    expect(pathsOf(p)).toContain(field);
  });

  it('the cursor it returns pages through the timeline, newest first', async () => {
    const seen: string[] = [];
    let query = '?limit=2';
    for (let page = 0; page < 5; page++) {
      const { items, nextCursor } = await timeline(t, id, query);
      seen.push(...items.map((i) => i.messageId));
      if (nextCursor === null) break;
      query = `?limit=2&cursor=${nextCursor}`;
    }
    expect(seen).toEqual(['admin-3', 'admin-2', 'admin-1']);
  });

  it.each([
    ['GET', '/nope'],
    ['GET', '/v1/track'],
    ['GET', '/v1/profiles'],
    ['DELETE', `/v1/profiles/prof_x`],
    ['POST', '/v1/unknown'],
    ['GET', '/v2/profiles/by/userId/x?limit=1'],
  ] as const)('unknown route %s %s → 404 problem', async (method, url) => {
    const res = await send(t, { method, url, headers: { authorization: bearer(), 'content-type': 'application/json' }, ...(method === 'POST' ? { payload: '{}' } : {}) });
    expect(problemOf(res, 404).detail).toBe(`no route ${method} ${url.split('?')[0]}`);
  });
});

const SEGMENT_INGESTION = [...TYPES.map((t) => `/v1/${t}`), '/v1/batch', '/v1/import'];

/** Every `METHOD /path` the app serves, from its route tree (HEAD routes fastify adds for GET left out). */
function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    const path = (prefixes[depth - 1] ?? '') + (m[2] ?? '');
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ')) if (method && method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out.sort();
}

describe('documents and operations', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('/openapi.json is an OpenAPI 3.1 document describing exactly the routes the app serves', async () => {
    const res = await send(t, { method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    type Op = { summary?: string; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown>; security?: Record<string, unknown>[] };
    const doc = res.json<{ openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Op>>; components: { securitySchemes: Record<string, unknown> } }>();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.stringMatching(/\S/) as unknown, version: expect.stringMatching(/\S/) as unknown });

    const documented: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\//);
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        documented.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
        expect(['get', 'post', 'put', 'patch', 'delete'], where).toContain(method);
        expect(op.summary, where).toMatch(/\S/);
        expect(Object.keys(op.responses).some((code) => /^2\d\d$/.test(code) || (code === '302' && method === 'get')), where).toBe(true);
        for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
          expect(op.parameters, where).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
        }
        for (const s of op.security ?? []) for (const scheme of Object.keys(s)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme);
        if (method === 'post' && SEGMENT_INGESTION.includes(path)) {
          expect(op.requestBody?.content['application/json']?.schema, where).toMatchObject({ type: 'object' });
          expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['400', '401', '413', '429']));
        }
        if (path.startsWith('/v1/profiles')) expect(op.security, where).toEqual([{ adminKey: [] }]);
      }
    }
    const served = registeredRoutes(t.app);
    expect(served.length).toBeGreaterThanOrEqual(14);
    // Every documented route is served; every served route is documented, except the document itself,
    // CORS preflights, and trailing-slash twins of a documented path.
    expect(served).toEqual(expect.arrayContaining(documented));
    const undocumented = served.filter((r) => !documented.includes(r) && !documented.includes(r.endsWith('/') ? r.slice(0, -1) : `${r}/`));
    expect(undocumented).toEqual(expect.arrayContaining(['GET /openapi.json']));
    expect(undocumented.filter((r) => r !== 'GET /openapi.json' && !r.startsWith('OPTIONS '))).toEqual([]);
    // The timeline's query parameters come from the schema that validates them.
    expect(doc.paths['/v1/profiles/{id}/timeline']?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:limit', 'query:cursor']);
  });

  it('/health reports the log position, /metrics the ingestion counters, commit latency and lag', async () => {
    expect((await send(t, { url: '/v1/batch', ...json({ batch: [track('ops'), track('ops')] }) })).statusCode).toBe(200);
    problemOf(await send(t, { url: '/v1/track', ...json({ event: 'x' }) }), 400);
    problemOf(await send(t, { url: '/v1/track', ...json(track('ops'), { authorization: basic('nope') }) }), 401);
    problemOf(await send(t, { url: '/v1/track', ...json(track('ops', { properties: { s: 'x'.repeat(33 * 1024) } })) }), 413);
    await t.settle();

    const health = await send(t, { method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(Health.parse(health.json())).toEqual({ status: 'ok', log: { head: 2, processed: 2, lag: 0 } });

    const res = await send(t, { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    for (const name of ['xhub_events_accepted_total', 'xhub_events_rejected_total', 'xhub_commit_seconds', 'xhub_processing_lag_events']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(text).toMatch(/^# TYPE xhub_commit_seconds histogram$/m);
    expect(text).toMatch(/^xhub_events_accepted_total 2$/m);
    expect(text).toMatch(/^xhub_events_rejected_total\{reason="invalid"\} 1$/m);
    expect(text).toMatch(/^xhub_events_rejected_total\{reason="unauthorized"\} 1$/m);
    expect(text).toMatch(/^xhub_events_rejected_total\{reason="too_large"\} 1$/m);
    expect(text).toMatch(/^xhub_commit_seconds_count 1$/m);
    expect(text).toMatch(/^xhub_commit_seconds_bucket\{le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^xhub_processing_lag_events 0$/m);
  });
});
