import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../journeys/candidate.js';
import type { Channel, Purpose } from '../journeys/definition.js';
import { arbitrate, type ArbitrationProfile, type LedgerEntry } from './arbitrate.js';
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
    expect(d.outcomes[1]).toEqual({ candidateId: t.id, outcome: 'sent' });
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

describe('arbitrate: property', () => {
  const channel = fc.constantFrom<Channel>('email', 'sms');
  const purpose = fc.constantFrom<Purpose>('marketing', 'transactional');
  it('however candidates arrive over time, no cap is ever exceeded in any window', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2 * DAY }), channel, purpose, priority: fc.integer({ min: 0, max: 100 }), count: fc.integer({ min: 1, max: 3 }) }), { maxLength: 40 }), (steps) => {
        const p = policy({ caps: [{ id: 'm3:7d', limit: 3, window: days(7) }, { id: 'sms1:1d', limit: 1, window: days(1), channel: 'sms', purposes: ['marketing', 'transactional'] }], slots: { email: 2, sms: 2 } });
        const ledger: LedgerEntry[] = [];
        let now = T0;
        for (const s of steps) {
          now += s.gap;
          const cs = Array.from({ length: s.count }, () => candidate({ channel: s.channel, purpose: s.purpose, priority: s.priority }));
          ledger.push(...arbitrate(opted, cs, p, ledger, now).reserved);
          const inWindow = (ms: number, f: (e: LedgerEntry) => boolean) => ledger.filter((e) => e.at > now - ms && f(e)).length;
          expect(inWindow(7 * DAY, (e) => e.purpose === 'marketing')).toBeLessThanOrEqual(3);
          expect(inWindow(DAY, (e) => e.channel === 'sms')).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never a message without consent, inside quiet hours, or from two conflicting journeys within the window; a deferral ends when quiet hours do', () => {
    const consentBag = fc.record({ marketing: fc.option(fc.oneof(fc.boolean(), fc.record({ email: fc.boolean(), sms: fc.boolean() })), { nil: undefined }) });
    fc.assert(
      fc.property(
        consentBag,
        fc.constantFrom('Europe/Paris', 'America/New_York', 'Asia/Tokyo'),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 12 * 3_600_000 }), channel, journey: fc.constantFrom('j1', 'j2', 'j3') }), { maxLength: 40 }),
        (consentGiven, timezone, steps) => {
          const p = policy({ quietHours: { from: '21:00', to: '08:00' }, conflictGroups: [{ id: 'g', journeys: ['j1', 'j2'], window: days(1) }] });
          const profile: ArbitrationProfile = { traits: { consent: consentGiven }, timezone, suppressed: new Set() };
          const ledger: LedgerEntry[] = [];
          let now = T0;
          for (const s of steps) {
            now += s.gap;
            const c = candidate({ channel: s.channel, journeyId: s.journey });
            const d = arbitrate(profile, [c], p, ledger, now);
            const o = d.outcomes[0];
            if (o?.outcome === 'sent') {
              const given = consentGiven.marketing;
              expect(typeof given === 'object' ? given[s.channel as 'email' | 'sms'] : given).toBe(true);
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
