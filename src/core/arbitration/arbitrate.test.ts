import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../journeys/candidate.js';
import type { Channel, Purpose } from '../journeys/definition.js';
import { arbitrate, type ArbitrationProfile, type LedgerEntry } from './arbitrate.js';
import { MIN_HISTORY } from './channels.js';
import type { Engagement } from './engagement.js';
import { ContactPolicy } from './policy.js';

const T0 = Date.parse('2026-03-02T12:00:00.000Z'); // a Monday, 13:00 in Paris
const DAY = 86_400_000;
const days = (amount: number) => ({ amount, unit: 'days' as const });

let n = 0;
function candidate(over: Partial<Candidate> = {}): Candidate {
  n++;
  return {
    id: `c${String(n).padStart(4, '0')}`, workspaceId: 'ws', profileId: 'p', journeyId: 'j1', version: 1, stepId: 's',
    channel: 'email', template: 't', purpose: 'marketing', priority: 50, value: 1, proposedAt: T0, ...over,
  };
}
const opted: ArbitrationProfile = { traits: { consent: { marketing: true } }, suppressed: new Set() };
const policy = (input: unknown = {}) => ContactPolicy.parse(input);
const sent = (at: number, over: Partial<LedgerEntry> = {}): LedgerEntry => ({ at, channel: 'email', purpose: 'marketing', journeyId: 'j1', candidateId: `old${at}`, ...over });

describe('arbitrate: eligibility, each refusal with its rule', () => {
  it('marketing needs an opt-in; transactional goes unless opted out; consent per channel wins over per purpose', () => {
    const m = candidate();
    const t = candidate({ purpose: 'transactional' });
    const none: ArbitrationProfile = { traits: {}, suppressed: new Set() };
    const d = arbitrate(none, [m, t], policy(), [], T0);
    expect(d.traces[0]).toMatchObject({ outcome: 'rejected', rule: 'consent:marketing:email', detail: { consent: null, optInRequired: true } });
    expect(d.outcomes[1]).toEqual({ candidateId: t.id, outcome: 'sent', channel: 'email' });
    const perChannel: ArbitrationProfile = { traits: { consent: { marketing: { email: false, sms: true }, transactional: false } }, suppressed: new Set() };
    const d2 = arbitrate(perChannel, [candidate(), candidate({ channel: 'sms' }), candidate({ purpose: 'transactional' })], policy(), [], T0);
    expect(d2.outcomes.map((o) => o.outcome)).toEqual(['rejected', 'sent', 'rejected']);
  });

  it('suppression refuses every purpose on its channel (or all channels with *)', () => {
    const d = arbitrate({ ...opted, suppressed: new Set(['email']) }, [candidate({ purpose: 'transactional' }), candidate({ channel: 'sms' })], policy(), [], T0);
    expect(d.traces.map((t) => t.rule ?? t.outcome)).toEqual(['suppression:email', 'sent']);
    expect(arbitrate({ ...opted, suppressed: new Set(['*']) }, [candidate({ channel: 'sms' })], policy(), [], T0).traces[0]?.rule).toBe('suppression:*');
  });

  it('a conflict group keeps a second journey away within its window', () => {
    const p = policy({ conflictGroups: [{ id: 'promo', journeys: ['j1', 'j2'], window: days(2) }] });
    const ledger = [sent(T0 - DAY, { journeyId: 'j2' })];
    expect(arbitrate(opted, [candidate()], p, ledger, T0).traces[0]).toMatchObject({ rule: 'conflict:promo', detail: { journey: 'j2' } });
    expect(arbitrate(opted, [candidate()], p, ledger, T0 + DAY).outcomes[0]?.outcome).toBe('sent');
    expect(arbitrate(opted, [candidate({ journeyId: 'j2' })], p, ledger, T0).outcomes[0]?.outcome).toBe('sent');
  });

  it('caps count a rolling window exactly: at the edge the old contact no longer counts', () => {
    const p = policy({ caps: [{ id: 'marketing:7d', limit: 2, window: days(7) }], slots: { email: 5 } });
    const ledger = [sent(T0 - 7 * DAY + 1), sent(T0 - DAY)];
    expect(arbitrate(opted, [candidate()], p, ledger, T0).traces[0]).toMatchObject({ rule: 'cap:marketing:7d', detail: { count: 2, limit: 2 } });
    expect(arbitrate(opted, [candidate()], p, ledger, T0 + 1).outcomes[0]?.outcome).toBe('sent');
    // Transactional bypasses a marketing cap.
    expect(arbitrate(opted, [candidate({ purpose: 'transactional' })], p, ledger, T0).outcomes[0]?.outcome).toBe('sent');
  });

  it('a cool-down after the last message', () => {
    const p = policy({ cooldown: { after: { amount: 4, unit: 'hours' } } });
    expect(arbitrate(opted, [candidate()], p, [sent(T0 - 3_600_000)], T0).traces[0]?.rule).toBe('cooldown');
    expect(arbitrate(opted, [candidate()], p, [sent(T0 - 4 * 3_600_000)], T0).outcomes[0]?.outcome).toBe('sent');
  });

  it('quiet hours in the profile time zone defer to their end, or drop', () => {
    const p = policy({ quietHours: { from: '21:00', to: '08:00' } });
    const night = Date.parse('2026-03-02T22:30:00.000Z'); // 23:30 in Paris
    const d = arbitrate({ ...opted, timezone: 'Europe/Paris' }, [candidate()], p, [], night);
    expect(d.outcomes[0]).toMatchObject({ outcome: 'deferred', rule: 'quietHours', until: Date.parse('2026-03-03T07:00:00.000Z') });
    expect(arbitrate({ ...opted, timezone: 'America/New_York' }, [candidate()], p, [], night).outcomes[0]?.outcome).toBe('sent'); // 17:30 there
    const drop = policy({ quietHours: { from: '21:00', to: '08:00', action: 'drop' } });
    expect(arbitrate({ ...opted, timezone: 'Europe/Paris' }, [candidate()], drop, [], night).outcomes[0]).toMatchObject({ outcome: 'rejected', rule: 'quietHours' });
  });
});

describe('arbitrate: ranking and slots', () => {
  it('ranks by priority × propensity × value, ties by id, and sends as many per channel as its slots', () => {
    const low = candidate({ priority: 10, value: 5 }); // 50
    const high = candidate({ priority: 40, value: 2 }); // 80
    const sms = candidate({ channel: 'sms', priority: 1 });
    const d = arbitrate(opted, [low, high, sms], policy(), [], T0);
    expect(d.outcomes.map((o) => o.outcome)).toEqual(['rejected', 'sent', 'sent']);
    expect(d.traces[0]).toMatchObject({ rule: 'slots:email', ranking: { priority: 10, propensity: 1, propensitySource: 'default', value: 5, score: 50 } });
    const scored = arbitrate({ ...opted, scores: { buy7d: 2 } }, [low, high], policy({ propensityScore: 'buy7d' }), [], T0);
    expect(scored.traces[1]?.ranking).toMatchObject({ propensity: 2, propensitySource: 'score:buy7d', score: 160 });
    expect(d.reserved.map((r) => r.candidateId)).toEqual([high.id, sms.id]);
  });

  it('what is sent counts at once towards the caps of the next candidate in the same decision', () => {
    const p = policy({ caps: [{ id: 'email:1d', limit: 1, window: days(1), channel: 'email' }], slots: { email: 3 } });
    const d = arbitrate(opted, [candidate(), candidate(), candidate()], p, [], T0);
    expect(d.outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(1);
    expect(d.traces.filter((t) => t.rule === 'cap:email:1d')).toHaveLength(2);
  });
});

const HOUR = 3_600_000;
/** Engagement on a channel: `delivered`, `engaged`, and engagements at the given local hours. */
function history(delivered: number, engaged: number, atHours: Record<number, number> = {}): Engagement {
  return { delivered, engaged, hours: Array.from({ length: 24 }, (_, h) => atHours[h] ?? 0) };
}
const engaged = (engagement: ArbitrationProfile['engagement'], over: Partial<ArbitrationProfile> = {}): ArbitrationProfile => ({ ...opted, engagement, ...over });

describe('arbitrate: best channel', () => {
  it.each([
    { name: 'by engagement rate, highest first; channels without history after, in journey order', engagement: { email: history(10, 1), sms: history(10, 5), push: history(2, 2) }, tried: ['sms'], sent: 'sms' },
    { name: 'a tie keeps the journey order', engagement: { email: history(4, 2), sms: history(10, 5) }, tried: ['email'], sent: 'email' },
    { name: 'without history, the journey order', engagement: undefined, tried: ['email'], sent: 'email' },
    { name: 'fewer than MIN_HISTORY delivered is no history', engagement: { sms: history(MIN_HISTORY - 1, 2), push: history(MIN_HISTORY, 1) }, tried: ['push'], sent: 'push' },
  ])('orders the channels $name', ({ engagement, tried, sent: on }) => {
    const c = candidate({ alternatives: ['sms', 'push'] });
    const d = arbitrate(engaged(engagement), [c], policy({ optIn: [] }), [], T0);
    expect(d.outcomes[0]).toEqual({ candidateId: c.id, outcome: 'sent', channel: on });
    expect(d.traces[0]?.channel).toBe(on);
    expect(d.traces[0]?.channels?.map((x) => x.channel)).toEqual(tried);
    expect(d.reserved.map((r) => r.channel)).toEqual([on]);
  });

  it('an ineligible best channel falls back to the next; the trace shows each channel tried with its numbers and refusal', () => {
    const profile = engaged({ sms: history(10, 6), push: history(5, 2) }, { traits: { consent: { marketing: { sms: false, push: true, email: true } } } });
    const c = candidate({ alternatives: ['sms', 'push'] });
    const d = arbitrate(profile, [c], policy(), [], T0);
    expect(d.traces[0]).toMatchObject({
      outcome: 'sent', channel: 'push',
      channels: [
        { channel: 'sms', delivered: 10, engaged: 6, rate: 0.6, refusal: 'consent:marketing:sms' },
        { channel: 'push', delivered: 5, engaged: 2, rate: 0.4 },
      ],
    });
    expect(d.traces[0]?.channels?.[1]).not.toHaveProperty('refusal');
    expect(d.traces[0]).not.toHaveProperty('rule');
  });

  it('a candidate without alternatives has its channel in the trace, and no channel list', () => {
    const d = arbitrate(engaged({ email: history(10, 6) }), [candidate()], policy(), [], T0);
    expect(d.traces[0]).toMatchObject({ outcome: 'sent', channel: 'email' });
    expect(d.traces[0]).not.toHaveProperty('channels');
  });

  it('when no channel passes, the refusal of the first channel tried is recorded (a deferral only if it is one)', () => {
    const night = Date.parse('2026-03-02T22:30:00.000Z'); // 23:30 in Paris
    const p = policy({ quietHours: { from: '21:00', to: '08:00' } });
    const smsFirst = engaged({ sms: history(10, 9) }, { timezone: 'Europe/Paris', traits: { consent: { marketing: { sms: false, email: true } } } });
    const c = candidate({ alternatives: ['sms'] });
    const rejected = arbitrate(smsFirst, [c], p, [], night);
    expect(rejected.outcomes[0]).toEqual({ candidateId: c.id, outcome: 'rejected', rule: 'consent:marketing:sms' });
    expect(rejected.traces[0]).toMatchObject({ channel: 'sms', channels: [{ channel: 'sms', refusal: 'consent:marketing:sms' }, { channel: 'email', refusal: 'quietHours' }] });
    const emailFirst = engaged({ email: history(10, 9) }, { timezone: 'Europe/Paris', traits: { consent: { marketing: { sms: false, email: true } } } });
    const deferred = arbitrate(emailFirst, [c], p, [], night);
    expect(deferred.outcomes[0]).toMatchObject({ outcome: 'deferred', rule: 'quietHours', until: Date.parse('2026-03-03T07:00:00.000Z') });
    expect(deferred.traces[0]?.channel).toBe('email');
    expect(deferred.reserved).toEqual([]);
    expect(arbitrate({ ...opted, suppressed: new Set(['*']) }, [c], p, [], T0).traces[0]).toMatchObject({ outcome: 'rejected', rule: 'suppression:*', channel: 'email' });
  });

  it('slots and channel caps count on the channel chosen: a full channel falls back to the next', () => {
    const both = () => candidate({ alternatives: ['sms'] });
    const d = arbitrate(opted, [both(), both(), both()], policy(), [], T0);
    expect(d.outcomes.map((o) => (o.outcome === 'sent' ? o.channel : o.outcome))).toEqual(['email', 'sms', 'rejected']);
    expect(d.traces[2]).toMatchObject({ rule: 'slots:email', channel: 'email', channels: [{ channel: 'email', refusal: 'slots:email' }, { channel: 'sms', refusal: 'slots:sms' }] });
    const capped = policy({ caps: [{ id: 'email:1d', limit: 1, window: days(1), channel: 'email' }] });
    const d2 = arbitrate(opted, [both()], capped, [sent(T0 - HOUR)], T0);
    expect(d2.outcomes[0]).toMatchObject({ outcome: 'sent', channel: 'sms' });
    expect(d2.reserved[0]).toMatchObject({ channel: 'sms', at: T0 });
  });
});

describe('arbitrate: send time', () => {
  const paris = (engagement: ArbitrationProfile['engagement']) => engaged(engagement, { timezone: 'Europe/Paris' });
  const evening = { email: history(10, 5, { 18: 3, 9: 1 }) }; // best local hour 18:00

  it('defers to the next start of the best local hour when it comes within sendWithin, reserving nothing', () => {
    const c = candidate({ sendWithin: 12 * HOUR });
    const d = arbitrate(paris(evening), [c], policy(), [], T0); // 13:00 in Paris
    expect(d.outcomes[0]).toEqual({ candidateId: c.id, outcome: 'deferred', rule: 'sendTime', until: Date.parse('2026-03-02T17:00:00.000Z') });
    expect(d.traces[0]).toMatchObject({ outcome: 'deferred', channel: 'email', rule: 'sendTime', detail: { hour: 18, timezone: 'Europe/Paris', until: Date.parse('2026-03-02T17:00:00.000Z') } });
    expect(d.reserved).toEqual([]);
    // At that hour it goes.
    expect(arbitrate(paris(evening), [c], policy(), [], Date.parse('2026-03-02T17:00:00.000Z')).outcomes[0]).toMatchObject({ outcome: 'sent', channel: 'email' });
  });

  it.each([
    { name: 'it is the best hour already', now: Date.parse('2026-03-02T17:45:00.000Z'), within: 12 * HOUR, engagement: evening },
    { name: 'the best hour is beyond the window', now: T0, within: 4 * HOUR, engagement: evening },
    { name: 'fewer than 3 engagements', now: T0, within: 12 * HOUR, engagement: { email: history(10, 2, { 18: 2 }) } },
  ])('sends now when $name', ({ now, within, engagement }) => {
    expect(arbitrate(paris(engagement), [candidate({ sendWithin: within })], policy(), [], now).outcomes[0]).toMatchObject({ outcome: 'sent' });
  });

  it('sends now without sendWithin, and the window edge counts (until = now + sendWithin defers)', () => {
    expect(arbitrate(paris(evening), [candidate()], policy(), [], T0).outcomes[0]?.outcome).toBe('sent');
    expect(arbitrate(paris(evening), [candidate({ sendWithin: 4 * HOUR })], policy(), [], T0 + HOUR).outcomes[0]).toMatchObject({ outcome: 'deferred', until: T0 + 5 * HOUR });
  });

  it('a tie picks the earliest hour; the instant is DST-correct (Paris springs forward on 29 March 2026)', () => {
    const tie = { email: history(10, 4, { 18: 2, 9: 2 }) };
    const saturday = Date.parse('2026-03-28T20:00:00.000Z'); // 21:00 CET
    const d = arbitrate(paris(tie), [candidate({ sendWithin: DAY })], policy(), [], saturday);
    // 09:00 CEST on Sunday is 07:00 UTC (not 08:00, as the offset before the change would give).
    expect(d.outcomes[0]).toMatchObject({ outcome: 'deferred', rule: 'sendTime', until: Date.parse('2026-03-29T07:00:00.000Z') });
    expect(d.traces[0]?.detail).toMatchObject({ hour: 9 });
    // The default time zone is UTC.
    expect(arbitrate(engaged(tie), [candidate({ sendWithin: DAY })], policy(), [], saturday).outcomes[0]).toMatchObject({ until: Date.parse('2026-03-29T09:00:00.000Z') });
  });

  it('is checked after eligibility, on the channel chosen; a deferral leaves the slot to others', () => {
    const capped = policy({ caps: [{ id: 'm:1d', limit: 0, window: days(1) }] });
    expect(arbitrate(paris(evening), [candidate({ sendWithin: 12 * HOUR })], capped, [], T0).traces[0]?.rule).toBe('cap:m:1d');
    const smsOnlyHistory = engaged({ sms: history(10, 9, { 18: 9 }) }, { timezone: 'Europe/Paris', traits: { consent: { marketing: { sms: false, email: true } } } });
    expect(arbitrate(smsOnlyHistory, [candidate({ alternatives: ['sms'], sendWithin: 12 * HOUR })], policy(), [], T0).outcomes[0]).toMatchObject({ outcome: 'sent', channel: 'email' });
    const later = candidate({ priority: 90, sendWithin: 12 * HOUR });
    const now = candidate({ priority: 10 });
    const d = arbitrate(paris(evening), [later, now], policy(), [], T0);
    expect(d.outcomes.map((o) => o.outcome)).toEqual(['deferred', 'sent']);
    expect(d.reserved.map((r) => r.candidateId)).toEqual([now.id]);
  });
});

describe('arbitrate: catalogue item caps', () => {
  const offer = (limit: number, window = days(1)) => ({ id: 'offer-1', caps: [{ limit, window }] });

  it('counts contacts of the same item within each window; at the edge the old one no longer counts', () => {
    const c = candidate({ item: offer(1) });
    const d = arbitrate(opted, [c], policy(), [sent(T0 - HOUR, { item: 'offer-1' })], T0);
    expect(d.outcomes[0]).toEqual({ candidateId: c.id, outcome: 'rejected', rule: 'cap:item:offer-1' });
    expect(d.traces[0]).toMatchObject({ rule: 'cap:item:offer-1', detail: { count: 1, limit: 1, window: days(1) } });
    expect(arbitrate(opted, [c], policy(), [sent(T0 - DAY, { item: 'offer-1' })], T0).outcomes[0]?.outcome).toBe('sent');
    expect(arbitrate(opted, [c], policy(), [sent(T0 - HOUR, { item: 'offer-2' }), sent(T0 - HOUR)], T0).outcomes[0]?.outcome).toBe('sent');
  });

  it('each cap of the item holds; what is sent carries the item and counts at once in the same decision', () => {
    const item = { id: 'offer-1', caps: [{ limit: 5, window: days(1) }, { limit: 2, window: days(7) }] };
    const d = arbitrate(opted, [candidate({ item }), candidate({ item }), candidate({ item })], policy({ slots: { email: 5 } }), [sent(T0 - 3 * DAY, { item: 'offer-1' })], T0);
    expect(d.outcomes.map((o) => o.outcome)).toEqual(['sent', 'rejected', 'rejected']);
    expect(d.traces[1]).toMatchObject({ rule: 'cap:item:offer-1', detail: { count: 2, limit: 2, window: days(7) } });
    expect(d.reserved[0]).toMatchObject({ item: 'offer-1' });
  });

  it('is checked right after the policy caps, before the cool-down', () => {
    const ledger = [sent(T0 - HOUR, { item: 'offer-1' })];
    const capped = policy({ caps: [{ id: 'm:1d', limit: 1, window: days(1) }], cooldown: { after: days(1) } });
    expect(arbitrate(opted, [candidate({ item: offer(1) })], capped, ledger, T0).traces[0]?.rule).toBe('cap:m:1d');
    expect(arbitrate(opted, [candidate({ item: offer(1) })], policy({ cooldown: { after: days(1) } }), ledger, T0).traces[0]?.rule).toBe('cap:item:offer-1');
  });
});

describe('arbitrate: property', () => {
  const channel = fc.constantFrom<Channel>('email', 'sms');
  const purpose = fc.constantFrom<Purpose>('marketing', 'transactional');
  const ITEMS = { a: [{ limit: 1, window: days(1) }], b: [{ limit: 2, window: days(3) }, { limit: 3, window: days(7) }] };
  const offered = fc.record({
    channel: fc.constantFrom<Channel>('email', 'sms', 'push'),
    alternatives: fc.option(fc.subarray<Channel>(['email', 'sms', 'push']), { nil: undefined }),
    purpose,
    priority: fc.integer({ min: 0, max: 100 }),
    item: fc.option(fc.constantFrom<keyof typeof ITEMS>('a', 'b'), { nil: undefined }),
    sendWithin: fc.option(fc.integer({ min: 0, max: DAY }), { nil: undefined }),
  });
  const history = fc.record({ delivered: fc.nat(20), engaged: fc.nat(20), hours: fc.array(fc.nat(3), { minLength: 24, maxLength: 24 }) });
  const engagementArb = fc.option(fc.record({ email: history, sms: history, push: history }, { requiredKeys: [] }), { nil: undefined });

  it('however candidates arrive over time, no cap (nor item cap, nor slot) is ever exceeded; a deferral is in the future', () => {
    fc.assert(
      fc.property(
        engagementArb,
        fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York'),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2 * DAY }), offers: fc.array(offered, { minLength: 1, maxLength: 3 }) }), { maxLength: 40 }),
        (engagement, timezone, steps) => {
          const p = policy({ caps: [{ id: 'm3:7d', limit: 3, window: days(7) }, { id: 'sms1:1d', limit: 1, window: days(1), channel: 'sms', purposes: ['marketing', 'transactional'] }], slots: { email: 2, sms: 2, push: 1 } });
          const profile: ArbitrationProfile = { ...opted, timezone, ...(engagement ? { engagement } : {}) };
          const ledger: LedgerEntry[] = [];
          let now = T0;
          for (const s of steps) {
            now += s.gap;
            const cs = s.offers.map(({ item, alternatives, sendWithin, ...o }) =>
              candidate({ ...o, ...(alternatives ? { alternatives } : {}), ...(sendWithin === undefined ? {} : { sendWithin }), ...(item ? { item: { id: item, caps: ITEMS[item] } } : {}) }),
            );
            const d = arbitrate(profile, cs, p, ledger, now);
            d.outcomes.forEach((o, i) => {
              const c = cs[i] as Candidate;
              if (o.outcome === 'sent') expect([c.channel, ...(c.alternatives ?? [])]).toContain(o.channel);
              if (o.outcome === 'deferred') expect(o.until).toBeGreaterThan(now);
              if (o.outcome === 'deferred' && o.rule === 'sendTime') expect(o.until).toBeLessThanOrEqual(now + (c.sendWithin as number));
            });
            expect(d.reserved.map((r) => `${r.candidateId}:${r.channel}`).sort()).toEqual(d.outcomes.flatMap((o) => (o.outcome === 'sent' ? [`${o.candidateId}:${String(o.channel)}`] : [])).sort());
            for (const ch of ['email', 'sms', 'push'] as const) expect(d.reserved.filter((r) => r.channel === ch).length).toBeLessThanOrEqual(p.slots[ch] as number);
            ledger.push(...d.reserved);
            const inWindow = (ms: number, f: (e: LedgerEntry) => boolean) => ledger.filter((e) => e.at > now - ms && f(e)).length;
            expect(inWindow(7 * DAY, (e) => e.purpose === 'marketing')).toBeLessThanOrEqual(3);
            expect(inWindow(DAY, (e) => e.channel === 'sms')).toBeLessThanOrEqual(1);
            expect(inWindow(DAY, (e) => e.item === 'a')).toBeLessThanOrEqual(1);
            expect(inWindow(3 * DAY, (e) => e.item === 'b')).toBeLessThanOrEqual(2);
            expect(inWindow(7 * DAY, (e) => e.item === 'b')).toBeLessThanOrEqual(3);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never a message without consent, inside quiet hours, or from two conflicting journeys within the window; a deferral ends when quiet hours do', () => {
    const consentBag = fc.record({ marketing: fc.option(fc.oneof(fc.boolean(), fc.record({ email: fc.boolean(), sms: fc.boolean() })), { nil: undefined }) });
    fc.assert(
      fc.property(
        consentBag,
        fc.constantFrom('Europe/Paris', 'America/New_York', 'Asia/Tokyo'),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 12 * 3_600_000 }), channel, both: fc.boolean(), journey: fc.constantFrom('j1', 'j2', 'j3') }), { maxLength: 40 }),
        (consentGiven, timezone, steps) => {
          const p = policy({ quietHours: { from: '21:00', to: '08:00' }, conflictGroups: [{ id: 'g', journeys: ['j1', 'j2'], window: days(1) }] });
          const profile: ArbitrationProfile = { traits: { consent: consentGiven }, timezone, suppressed: new Set() };
          const ledger: LedgerEntry[] = [];
          let now = T0;
          for (const s of steps) {
            now += s.gap;
            const c = candidate({ channel: s.channel, journeyId: s.journey, ...(s.both ? { alternatives: [s.channel === 'email' ? 'sms' : 'email'] } : {}) });
            const d = arbitrate(profile, [c], p, ledger, now);
            const o = d.outcomes[0];
            if (o?.outcome === 'sent') {
              const given = consentGiven.marketing;
              expect(typeof given === 'object' ? given[o.channel as 'email' | 'sms'] : given).toBe(true);
              const local = Number(new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' }).format(now));
              expect(local >= 8 && local < 21).toBe(true);
              const rival = ledger.find((e) => e.at > now - DAY && e.journeyId !== s.journey && ['j1', 'j2'].includes(e.journeyId) && ['j1', 'j2'].includes(s.journey));
              expect(rival).toBeUndefined();
            }
            if (o?.outcome === 'deferred') {
              expect(o.until).toBeGreaterThan(now);
              const at = arbitrate(profile, [c], p, ledger, o.until);
              expect(at.traces[0]?.rule).not.toBe('quietHours');
            }
            ledger.push(...d.reserved);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
