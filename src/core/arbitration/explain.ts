import type { Duration } from '../conditions/schema.js';
import type { CandidateTrace } from './arbitrate.js';

const span = (w: unknown): string => {
  const d = w as Partial<Duration> | undefined;
  return d?.amount === undefined ? '' : ` in ${d.amount} ${d.amount === 1 ? String(d.unit).replace(/s$/, '') : String(d.unit)}`;
};

/** Why one candidate was sent, deferred or rejected, in a sentence (the API's `why`, `xhub why`). */
export function explain(t: Pick<CandidateTrace, 'outcome' | 'rule' | 'detail' | 'ranking'>): string {
  const r = t.ranking;
  const score = `score ${fmt(r.score)} = priority ${fmt(r.priority)} × propensity ${fmt(r.propensity)} (${r.propensitySource}) × value ${fmt(r.value)}`;
  if (t.outcome === 'sent') return `sent: ${score}`;
  const d = t.detail ?? {};
  const rule = t.rule ?? 'unknown';
  const until = typeof d.until === 'string' || typeof d.until === 'number' ? ` until ${new Date(d.until).toISOString()}` : '';
  const head = t.outcome === 'deferred' ? `deferred${until}` : 'rejected';
  return `${head}: ${reason(rule, d)} [${rule}]; ${score}`;
}

function reason(rule: string, d: Readonly<Record<string, unknown>>): string {
  const [kind, a, b] = rule.split(':');
  switch (kind) {
    case 'consent':
      return `no consent to ${a} messages on ${b} (consent ${JSON.stringify(d.consent ?? null)}${d.optInRequired === true ? ', an opt-in is required' : ''})`;
    case 'suppression':
      return a === '*' ? 'an address of the profile is suppressed on every channel' : `an address of the profile is suppressed on ${a}`;
    case 'conflict':
      return `conflict group ${a}: journey ${String(d.journey)} messaged the profile at ${String(d.at)}`;
    case 'cap':
      return `${a === 'item' ? `item ${b}'s cap` : `cap ${a}`} reached: ${String(d.count)} of ${String(d.limit)}${span(d.window)}`;
    case 'cooldown':
      return `cool-down after the last message (${String(d.last)}) runs until ${String(d.until)}`;
    case 'quietHours':
      return `quiet hours ${String(d.from)}–${String(d.to)} in ${String(d.timezone)}`;
    case 'slots':
      return `no ${a} slot left in this decision (${String(d.used)} of ${String(d.limit)} used by higher-ranked candidates)`;
    case 'condition':
      return "the item's eligibility condition is false for this profile";
    case 'validity':
      return `the item is valid only from ${String(d.from ?? 'any time')} until ${String(d.until ?? 'any time')}`;
    case 'limit':
      return `higher-ranked items filled the ${String(d.limit)} asked for`;
    case 'sendTime':
      return `waits for the profile's best hour, ${String(d.hour)}:00 in ${String(d.timezone)}`;
    default:
      return Object.keys(d).length > 0 ? `${rule} ${JSON.stringify(d)}` : rule;
  }
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ''));
