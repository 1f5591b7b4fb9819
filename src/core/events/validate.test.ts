import { describe, expect, it } from 'vitest';
import type { HubEvent } from './event.js';
import { correctedTimestamp } from './timestamps.js';
import { EVENT_MAX_BYTES, EVENT_MAX_DEPTH, validateBatch, validateCall, type ValidationContext } from './validate.js';

const RECEIVED = Date.parse('2024-06-01T12:00:00.000Z');
const ctx = (): ValidationContext => {
  let n = 0;
  return { receivedAt: RECEIVED, newMessageId: () => `gen-${++n}` };
};

function accepted(body: unknown, type: Parameters<typeof validateCall>[1]): HubEvent {
  const r = validateCall(body, type, ctx());
  if (!r.ok) throw new Error(`expected accepted, got ${JSON.stringify(r.error)}`);
  expect(r.value.events).toHaveLength(1);
  return r.value.events[0] as HubEvent;
}

/** Nests `{ a: … }` so that the returned object has exactly `levels` container levels. */
const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};

describe('validateCall: accepted calls become normalised HubEvents', () => {
  it.each([
    ['track', { userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } }, { type: 'track', event: 'Signed Up', properties: { plan: 'pro' } }],
    ['identify', { userId: 'u1', traits: { email: 'a@b.c' } }, { type: 'identify', traits: { email: 'a@b.c' } }],
    ['page', { anonymousId: 'a1', name: 'Home', category: 'Docs', properties: { path: '/' } }, { type: 'page', name: 'Home', category: 'Docs', properties: { path: '/' } }],
    ['screen', { anonymousId: 'a1', name: 'Settings' }, { type: 'screen', name: 'Settings' }],
    ['group', { userId: 'u1', groupId: 'acme', traits: { plan: 'enterprise' } }, { type: 'group', groupId: 'acme', traits: { plan: 'enterprise' } }],
    ['alias', { userId: 'u1', previousId: 'anon-1' }, { type: 'alias', previousId: 'anon-1' }],
  ] as const)('%s', (type, body, expected) => {
    const e = accepted(body, type);
    expect(e).toMatchObject({ v: 1, ...expected, messageId: 'gen-1', receivedAt: '2024-06-01T12:00:00.000Z', timestamp: '2024-06-01T12:00:00.000Z' });
  });

  it('takes the type from the path when the body has none, and accepts a body type that agrees', () => {
    expect(accepted({ userId: 'u', event: 'E' }, 'track').type).toBe('track');
    expect(accepted({ type: 'track', userId: 'u', event: 'E' }, 'track').type).toBe('track');
  });

  it.each([
    ['numeric userId is stringified', { userId: 42, event: 'E' }, { userId: '42' }, []],
    ['numeric anonymousId is stringified', { anonymousId: 7.5, event: 'E' }, { anonymousId: '7.5' }, ['userId']],
    ['userId null with an anonymousId', { userId: null, anonymousId: 'a', event: 'E' }, { anonymousId: 'a' }, ['userId']],
    ['empty userId with an anonymousId', { userId: '', anonymousId: 'a', event: 'E' }, { anonymousId: 'a' }, ['userId']],
    ['the client messageId is kept', { userId: 'u', event: 'E', messageId: 'm-1' }, { messageId: 'm-1' }, ['anonymousId']],
    ['properties null means none', { userId: 'u', event: 'E', properties: null }, { userId: 'u' }, ['properties']],
  ])('%s', (_name, body, expected, absent) => {
    const e = accepted(body, 'track');
    expect(e).toMatchObject(expected);
    for (const field of absent) expect(e).not.toHaveProperty(field);
  });

  it('stringifies numeric groupId and previousId, and drops a null page name', () => {
    expect(accepted({ userId: 'u', groupId: 12 }, 'group').groupId).toBe('12');
    expect(accepted({ userId: 'u', previousId: 3 }, 'alias').previousId).toBe('3');
    expect(accepted({ anonymousId: 'a', name: null, category: null }, 'page')).not.toHaveProperty('name');
  });

  it('stores no undefined fields and drops fields the spec does not know', () => {
    const e = accepted({ userId: 'u', event: 'E', somethingElse: { x: 1 } }, 'track');
    expect(Object.keys(e).sort()).toEqual(['event', 'messageId', 'receivedAt', 'timestamp', 'type', 'userId', 'v']);
  });

  it('returns the writeKey of the body', () => {
    const r = validateCall({ userId: 'u', event: 'E', writeKey: 'wk' }, 'track', ctx());
    expect(r.ok && r.value.writeKey).toBe('wk');
  });

  it.each(['2024-02-29T00:00:00Z', '2024-01-01', '2024-01-01 10:00', '2024-01-01T10:00:00+02:00', '2024-01-01T10:00:00.123456789Z'])(
    'accepts the timestamp %s',
    (timestamp) => {
      expect(accepted({ userId: 'u', event: 'E', timestamp }, 'track').originalTimestamp).toBe(timestamp);
    },
  );
});

describe('validateCall: rejections name the field', () => {
  it.each([
    ['non-object body', 'x', 'track', '', /JSON object/],
    ['array body', [{ userId: 'u' }], 'track', '', /JSON object/],
    ['null body', null, 'track', '', /JSON object/],
    ['type disagreeing with the path', { type: 'identify', userId: 'u' }, 'track', 'type', /'track'/],
    ['neither userId nor anonymousId', { event: 'E' }, 'track', 'userId', /userId or anonymousId/],
    ['both ids null', { userId: null, anonymousId: null, event: 'E' }, 'track', 'userId', /userId or anonymousId/],
    ['alias without userId', { anonymousId: 'a', previousId: 'p' }, 'alias', 'userId', /required for alias/],
    ['userId object', { userId: { id: 1 }, event: 'E' }, 'track', 'userId', /./],
    ['userId boolean', { userId: true, event: 'E' }, 'track', 'userId', /./],
    ['anonymousId array', { anonymousId: ['a'], event: 'E' }, 'track', 'anonymousId', /./],
    ['timestamp yesterday', { userId: 'u', event: 'E', timestamp: 'yesterday' }, 'track', 'timestamp', /ISO 8601/],
    ['timestamp number', { userId: 'u', event: 'E', timestamp: 1717243200000 }, 'track', 'timestamp', /./],
    ['timestamp month 13', { userId: 'u', event: 'E', timestamp: '2024-13-01T00:00:00Z' }, 'track', 'timestamp', /ISO 8601/],
    ['timestamp February 29th of a common year', { userId: 'u', event: 'E', timestamp: '2023-02-29T00:00:00Z' }, 'track', 'timestamp', /ISO 8601/],
    ['timestamp April 31st', { userId: 'u', event: 'E', timestamp: '2024-04-31' }, 'track', 'timestamp', /ISO 8601/],
    ['sentAt garbage', { userId: 'u', event: 'E', sentAt: 'soon' }, 'track', 'sentAt', /ISO 8601/],
    ['originalTimestamp garbage', { userId: 'u', event: 'E', originalTimestamp: '12:00' }, 'track', 'originalTimestamp', /ISO 8601/],
    ['properties array', { userId: 'u', event: 'E', properties: [1, 2] }, 'track', 'properties', /record/],
    ['properties string', { userId: 'u', event: 'E', properties: 'x' }, 'track', 'properties', /record/],
    ['event empty', { userId: 'u', event: '' }, 'track', 'event', /non-empty/],
    ['event number', { userId: 'u', event: 3 }, 'track', 'event', /string/],
    ['event missing', { userId: 'u' }, 'track', 'event', /string/],
    ['traits string', { userId: 'u', traits: 'vip' }, 'identify', 'traits', /record/],
    ['context number', { userId: 'u', context: 3 }, 'identify', 'context', /record/],
    ['integrations array', { userId: 'u', integrations: [] }, 'identify', 'integrations', /record/],
    ['messageId number', { userId: 'u', messageId: 5 }, 'identify', 'messageId', /string/],
    ['messageId empty', { userId: 'u', messageId: '' }, 'identify', 'messageId', /./],
    ['page name number', { anonymousId: 'a', name: 5 }, 'page', 'name', /string/],
    ['group without groupId', { userId: 'u' }, 'group', 'groupId', /./],
    ['alias with empty previousId', { userId: 'u', previousId: '' }, 'alias', 'previousId', /./],
  ] as const)('%s → 400 naming the field', (_name, body, type, path, message) => {
    const r = validateCall(body, type, ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.status).toBe(400);
    const hit = r.error.errors.find((e) => e.path === path);
    expect(hit, JSON.stringify(r.error.errors)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it('measures the 32 KB event limit in UTF-8 bytes of the JSON', () => {
    const base = JSON.stringify({ userId: 'u', event: 'E', properties: { s: '' }, type: 'track' }).length;
    const fill = (n: number, ch = 'x') => ({ userId: 'u', event: 'E', properties: { s: ch.repeat(n) } });
    expect(validateCall(fill(EVENT_MAX_BYTES - base), 'track', ctx()).ok).toBe(true);
    const over = validateCall(fill(EVENT_MAX_BYTES - base + 1), 'track', ctx());
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error).toMatchObject({ status: 413, errors: [{ path: '', message: expect.stringMatching(/32 KB/) as unknown }] });
    // 'é' is 2 bytes and '😀' 4: half (resp. a quarter) as many characters reach the limit.
    expect(validateCall(fill((EVENT_MAX_BYTES - base) / 2, 'é'), 'track', ctx()).ok).toBe(true);
    expect(validateCall(fill((EVENT_MAX_BYTES - base) / 2 + 1, 'é'), 'track', ctx()).ok).toBe(false);
    expect(validateCall(fill((EVENT_MAX_BYTES - base) / 4 + 1, '😀'), 'track', ctx()).ok).toBe(false);
  });

  it(`refuses nesting deeper than ${EVENT_MAX_DEPTH} levels with a 400, even far too deep for JSON.stringify`, () => {
    // Body → properties → nested: the body is level 1, properties level 2.
    expect(validateCall({ userId: 'u', event: 'E', properties: nested(EVENT_MAX_DEPTH - 1) }, 'track', ctx()).ok).toBe(true);
    for (const levels of [EVENT_MAX_DEPTH, 100_000]) {
      const r = validateCall({ userId: 'u', event: 'E', properties: nested(levels) }, 'track', ctx());
      expect(r.ok ? r : r.error).toMatchObject({ status: 400, errors: [{ path: '', message: expect.stringMatching(/nested deeper/) as unknown }] });
    }
  });
});

describe('validateBatch', () => {
  const item = (i: number, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: `u${i}`, event: 'E', messageId: `m${i}`, ...extra });

  it('accepts every call type, keeps order, and takes the envelope writeKey', () => {
    const batch = [item(0), { type: 'identify', userId: 'u', traits: {} }, { type: 'page', anonymousId: 'a' }, { type: 'screen', anonymousId: 'a' },
      { type: 'group', userId: 'u', groupId: 'g' }, { type: 'alias', userId: 'u', previousId: 'p' }];
    const r = validateBatch({ batch, writeKey: 'wk' }, ctx());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.writeKey).toBe('wk');
    expect(r.value.events.map((e) => e.type)).toEqual(['track', 'identify', 'page', 'screen', 'group', 'alias']);
    expect(r.value.events.map((e) => e.messageId)).toEqual(['m0', 'gen-1', 'gen-2', 'gen-3', 'gen-4', 'gen-5']);
  });

  it('merges envelope context and integrations under each call (the call wins) and applies the envelope sentAt', () => {
    const r = validateBatch(
      {
        context: { library: { name: 'sdk' }, ip: '1.2.3.4' },
        integrations: { All: false },
        sentAt: '2024-06-01T13:00:00Z',
        batch: [item(0, { context: { ip: '5.6.7.8' }, timestamp: '2024-06-01T11:00:00Z' }), item(1, { timestamp: '2024-06-01T11:00:00Z', sentAt: '2024-06-01T12:00:00Z' })],
      },
      ctx(),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [a, b] = r.value.events;
    expect(a).toMatchObject({ context: { library: { name: 'sdk' }, ip: '5.6.7.8' }, integrations: { All: false }, sentAt: '2024-06-01T13:00:00Z' });
    expect(a?.timestamp).toBe('2024-06-01T10:00:00.000Z'); // client clock 1 h ahead
    expect(b).toMatchObject({ context: { ip: '1.2.3.4' }, sentAt: '2024-06-01T12:00:00Z', timestamp: '2024-06-01T11:00:00.000Z' });
  });

  it.each([
    ['non-object body', [item(0)], 400, ['']],
    ['batch missing', { writeKey: 'wk' }, 400, ['batch']],
    ['batch not an array', { batch: { 0: item(0) } }, 400, ['batch']],
    ['batch empty', { batch: [] }, 400, ['batch']],
    ['batch of more than 10,000 calls', { batch: Array.from({ length: 10_001 }, (_, i) => item(i)) }, 400, ['batch']],
    ['envelope context a string', { context: 'web', batch: [item(0)] }, 400, ['context']],
    ['envelope sentAt garbage', { sentAt: 'now', batch: [item(0)] }, 400, ['sentAt']],
    ['unknown type', { batch: [item(0), { ...item(1), type: 'purchase' }] }, 400, ['batch[1].type']],
    ['missing type', { batch: [{ userId: 'u', event: 'E' }] }, 400, ['batch[0].type']],
    ['non-object item', { batch: [item(0), 3, null] }, 400, ['batch[1]', 'batch[2]']],
    ['several bad items, each named', { batch: [item(0, { timestamp: 'yesterday' }), item(1), item(2, { userId: { x: 1 } }), { type: 'identify', traits: 'x' }] }, 400,
      ['batch[0].timestamp', 'batch[2].userId', 'batch[3].traits']],
    ['neither id', { batch: [item(0), { type: 'track', event: 'E' }] }, 400, ['batch[1].userId']],
    ['an oversized item makes the whole batch 413', { batch: [item(0, { timestamp: 'x' }), item(1, { properties: { s: 'x'.repeat(EVENT_MAX_BYTES) } })] }, 413,
      ['batch[0].timestamp', 'batch[1]']],
    ['an item nested too deep', { batch: [item(0), item(1, { properties: nested(100_000) })] }, 400, ['batch[1]']],
    ['envelope context nested too deep', { context: nested(100_000), batch: [item(0)] }, 400, ['']],
  ] as const)('%s → rejected naming the fields, no events', (_name, body, status, paths) => {
    const r = validateBatch(body, ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.status).toBe(status);
    expect(r.error.errors.map((e) => e.path)).toEqual(expect.arrayContaining([...paths]));
    expect(r.error).not.toHaveProperty('events');
  });

  it('caps the list of errors at 50', () => {
    const r = validateBatch({ batch: Array.from({ length: 80 }, () => ({ type: 'nope' })) }, ctx());
    expect(!r.ok && r.error.errors.length).toBe(50);
  });
});

describe('correctedTimestamp (Segment clock-skew correction)', () => {
  const R = Date.parse('2024-06-01T12:00:00.000Z');
  it.each([
    ['no timestamp: the receive time', {}, undefined, '2024-06-01T12:00:00.000Z'],
    ['no sentAt: the client time, normalised to UTC', { timestamp: '2024-06-01T13:30:00+02:00' }, undefined, '2024-06-01T11:30:00.000Z'],
    ['sentAt 1 h ahead of the hub: moved back 1 h', { timestamp: '2024-06-01T11:00:00Z' }, '2024-06-01T13:00:00Z', '2024-06-01T10:00:00.000Z'],
    ['sentAt 1 h behind the hub: moved forward 1 h', { timestamp: '2024-06-01T11:00:00Z' }, '2024-06-01T11:00:00Z', '2024-06-01T12:00:00.000Z'],
    ['clocks agree: unchanged', { timestamp: '2024-06-01T11:59:00Z' }, '2024-06-01T12:00:00Z', '2024-06-01T11:59:00.000Z'],
    ['an explicit timestamp wins over originalTimestamp', { timestamp: '2024-06-01T11:00:00Z', originalTimestamp: '2024-06-01T12:30:00Z' }, '2024-06-01T12:30:00Z', '2024-06-01T10:30:00.000Z'],
    ['originalTimestamp alone is corrected', { originalTimestamp: '2024-06-01T11:00:00Z' }, '2024-06-01T12:30:00Z', '2024-06-01T10:30:00.000Z'],
    ['sentAt in another zone', { timestamp: '2024-06-01T11:00:00Z' }, '2024-06-01T15:00:00+02:00', '2024-06-01T10:00:00.000Z'],
    ['sentAt without a timestamp is ignored', {}, '2024-06-01T20:00:00Z', '2024-06-01T12:00:00.000Z'],
  ])('%s', (_name, call, sentAt, expected) => {
    expect(correctedTimestamp(call, sentAt, R)).toBe(expected);
  });
});
