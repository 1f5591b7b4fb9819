import type { ConditionFacts, ContextValue, FactEvent } from '../conditions/evaluate.js';
import { evaluate } from '../conditions/evaluate.js';
import type { Condition } from '../conditions/schema.js';
import { add, emptyState, entryOf, expire, valueOf, type ComputedTrait, type TraitState } from '../traits/computed.js';
import { dependenciesOf } from './dependencies.js';

/** Event conditions look at most at this many recent events of one name per profile. */
export const EVENTS_KEPT_PER_NAME = 1000;

export interface SegmentDefinition {
  readonly id: string;
  readonly condition: Condition;
}

/** Segments (in dependency order, see `orderSegments`) and computed traits of a workspace. */
export interface AudienceDefinitions {
  readonly segments: readonly SegmentDefinition[];
  readonly computed: readonly ComputedTrait[];
}

export type StoredEvent = FactEvent & { readonly messageId: string };

/** Per profile: the events the definitions look at, computed trait states, memberships (segment → since). */
export interface AudienceState {
  readonly events: Readonly<Record<string, readonly StoredEvent[]>>;
  readonly computed: Readonly<Record<string, TraitState>>;
  readonly members: Readonly<Record<string, number>>;
}

export const EMPTY_AUDIENCE: AudienceState = { events: {}, computed: {}, members: {} };

/** What conditions read of the profile besides events and memberships. */
export interface ProfileFacts {
  readonly traits: Readonly<Record<string, unknown>>;
  readonly groupTraits?: readonly Readonly<Record<string, unknown>>[];
  readonly consent?: Readonly<Record<string, unknown>>;
  readonly scores?: Readonly<Record<string, unknown>>;
  readonly timezone?: string;
  readonly context?: ReadonlyMap<string, ContextValue>;
}

export interface MembershipChange {
  readonly segmentId: string;
  readonly kind: 'entered' | 'exited';
  readonly at: number;
}

export interface AudienceStep {
  readonly state: AudienceState;
  readonly changes: readonly MembershipChange[];
  readonly computedValues: Readonly<Record<string, unknown>>;
  /** When time alone may next change a membership or a computed trait: the timer to set. */
  readonly nextDue?: number;
}

/**
 * One step of the audience of a profile at `now`: take in the events that arrived, expire what left its
 * window, recompute computed traits and memberships, and say what changed and when to look again.
 * Pure: the caller stores the state and sets a durable timer at `nextDue`.
 */
export function advance(state: AudienceState, defs: AudienceDefinitions, profile: ProfileFacts, now: number, arrived: readonly StoredEvent[] = []): AudienceStep {
  const lookback = lookbacks(defs);
  const grown: Record<string, readonly StoredEvent[]> = { ...state.events };
  for (const e of arrived) if (lookback.has(e.event)) grown[e.event] = insert(grown[e.event] ?? [], e);
  const events = keep(grown, lookback, now);
  const computed: Record<string, TraitState> = {};
  const computedValues: Record<string, unknown> = {};
  let due: number | undefined;
  const soonest = (t: number | undefined): void => {
    if (t !== undefined && (due === undefined || t < due)) due = t;
  };
  for (const t of defs.computed) {
    let s = expire(t, state.computed[t.name] ?? emptyState(t), now);
    for (const e of arrived) {
      const entry = entryOf(t, e, now);
      if (entry && (!t.window || entry[0] >= now - windowMs(t))) s = add(t, s, entry);
    }
    computed[t.name] = s;
    const v = valueOf(t, s, now);
    computedValues[t.name] = v.value;
    soonest(v.changesAt);
  }
  const members: Record<string, number> = {};
  const changes: MembershipChange[] = [];
  const facts: ConditionFacts & { segments: Set<string> } = {
    ...profile,
    computed: computedValues,
    events: Object.values(events).flat().sort((a, b) => a.ts - b.ts),
    segments: new Set(),
  };
  for (const seg of defs.segments) {
    const r = evaluate(seg.condition, facts, now);
    soonest(r.changesAt);
    const was = state.members[seg.id];
    if (r.value) {
      facts.segments.add(seg.id);
      members[seg.id] = was ?? now;
      if (was === undefined) changes.push({ segmentId: seg.id, kind: 'entered', at: now });
    } else if (was !== undefined) changes.push({ segmentId: seg.id, kind: 'exited', at: now });
  }
  const next: AudienceState = { events, computed, members };
  return due === undefined ? { state: next, changes, computedValues } : { state: next, changes, computedValues, nextDue: due };
}

const windowMs = (t: ComputedTrait): number => (t.window ? t.window.amount * { minutes: 60_000, hours: 3_600_000, days: 86_400_000 }[t.window.unit] : Infinity);

function lookbacks(defs: AudienceDefinitions): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of defs.segments) for (const [name, ms] of dependenciesOf(s.condition).events) out.set(name, Math.max(out.get(name) ?? 0, ms));
  return out;
}

/** Inserts in time order (ties by messageId); events can arrive late. */
function insert(list: readonly StoredEvent[], e: StoredEvent): StoredEvent[] {
  if (list.some((x) => x.messageId === e.messageId)) return [...list];
  const out = [...list, e];
  out.sort((a, b) => a.ts - b.ts || (a.messageId < b.messageId ? -1 : 1));
  return out;
}

/** Keeps, per event name, what some condition can still see: within its longest look-back, at most the latest N. */
function keep(events: Readonly<Record<string, readonly StoredEvent[]>>, lookback: ReadonlyMap<string, number>, now: number): Record<string, readonly StoredEvent[]> {
  const out: Record<string, readonly StoredEvent[]> = {};
  for (const [name, list] of Object.entries(events)) {
    const back = lookback.get(name);
    if (back === undefined) continue;
    const kept = list.filter((e) => e.ts >= now - back || e.ts > now).slice(-EVENTS_KEPT_PER_NAME);
    if (kept.length > 0) out[name] = kept.length === list.length ? list : kept;
  }
  return out;
}
