import { describe, expect, it } from 'vitest';
import { explain } from './explain.js';

const ranking = { priority: 50, propensity: 0.5, propensitySource: 'score:buy', value: 2, score: 50 };

describe('explain: a decision trace in words', () => {
  it.each([
    [{ outcome: 'sent' as const }, 'sent: score 50 = priority 50 × propensity 0.5 (score:buy) × value 2'],
    [{ outcome: 'rejected' as const, rule: 'consent:marketing:sms', detail: { consent: false, optInRequired: true } }, 'rejected: no consent to marketing messages on sms (consent false, an opt-in is required) [consent:marketing:sms]'],
    [{ outcome: 'rejected' as const, rule: 'suppression:*' }, 'rejected: an address of the profile is suppressed on every channel [suppression:*]'],
    [{ outcome: 'rejected' as const, rule: 'cap:weekly', detail: { count: 3, limit: 3, window: { amount: 7, unit: 'days' } } }, 'rejected: cap weekly reached: 3 of 3 in 7 days [cap:weekly]'],
    [{ outcome: 'rejected' as const, rule: 'cap:item:hero', detail: { count: 1, limit: 1, window: { amount: 1, unit: 'days' } } }, "rejected: item hero's cap reached: 1 of 1 in 1 day [cap:item:hero]"],
    [{ outcome: 'rejected' as const, rule: 'conflict:retention', detail: { journey: 'win-back', at: '2026-03-01T10:00:00.000Z' } }, 'rejected: conflict group retention: journey win-back messaged the profile at 2026-03-01T10:00:00.000Z [conflict:retention]'],
    [{ outcome: 'deferred' as const, rule: 'quietHours', detail: { from: '21:00', to: '08:00', timezone: 'Europe/Paris', until: Date.parse('2026-03-03T07:00:00.000Z') } }, 'deferred until 2026-03-03T07:00:00.000Z: quiet hours 21:00–08:00 in Europe/Paris [quietHours]'],
    [{ outcome: 'rejected' as const, rule: 'slots:email', detail: { used: 1, limit: 1 } }, 'rejected: no email slot left in this decision (1 of 1 used by higher-ranked candidates) [slots:email]'],
    [{ outcome: 'rejected' as const, rule: 'condition' }, "rejected: the item's eligibility condition is false for this profile [condition]"],
    [{ outcome: 'rejected' as const, rule: 'made:up', detail: { x: 1 } }, 'rejected: made:up {"x":1} [made:up]'],
  ])('%j', (t, sentence) => {
    expect(explain({ ...t, ranking })).toContain(sentence);
  });
});
