import type { ConditionFacts, ContextValue, FactEvent } from '../conditions/evaluate.js';
import { durationMs } from '../conditions/compare.js';
import { evaluate } from '../conditions/evaluate.js';
import type { Condition, EventMatch } from '../conditions/schema.js';
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

/**
 * A backfill's replay of a profile's history for one new or changed definition: the events of these
 * names, and the computed traits of these names, are rebuilt from the replayed events; the rest of the
 * stored state is kept and takes none of them. With `segments`, only those segments are evaluated
 * (the new one, the segments naming it and what those name): the others keep their stored
 * memberships, which nothing replayed can change, and their stored timer. Of the computed traits, only
 * those the evaluated segments read (`computedRead`) are then brought to the backfill's instant; the
 * others stay as stored, with the stored timer that expires them.
 */
export interface Replay {
  readonly events: ReadonlySet<string>;
  readonly computed: ReadonlySet<string>;
  readonly segments?: ReadonlySet<string>;
  readonly computedRead?: ReadonlySet<string>;
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
export function advance(state: AudienceState, defs: AudienceDefinitions, profile: ProfileFacts, now: number, arrived: readonly StoredEvent[] = [], replay?: Replay): AudienceStep {
  const { lookback, properties } = planOf(defs);
  const grown: Record<string, readonly StoredEvent[]> = replay ? Object.fromEntries(Object.entries(state.events).filter(([name]) => !replay.events.has(name))) : { ...state.events };
  const added = new Map<string, StoredEvent[]>();
  for (const e of arrived) {
    if (!lookback.has(e.event) || (replay && !replay.events.has(e.event))) continue;
    let list = added.get(e.event);
    if (list === undefined) added.set(e.event, (list = []));
    list.push(project(e, properties.get(e.event)));
  }
  for (const [name, list] of added) grown[name] = merge(grown[name] ?? [], list);
  const events = keep(grown, lookback, now);
  const computed: Record<string, TraitState> = {};
  const computedValues: Record<string, unknown> = {};
  let due: number | undefined;
  const soonest = (t: number | undefined): void => {
    if (t !== undefined && (due === undefined || t < due)) due = t;
  };
  for (const t of defs.computed) {
    if (replay?.segments && !replay.computed.has(t.name) && !replay.computedRead?.has(t.name)) {
      const stored = state.computed[t.name];
      if (stored) computed[t.name] = stored;
      continue;
    }
    // A replayed trait starts again from its events; the others keep their state and take none of them.
    const replayed = replay === undefined || replay.computed.has(t.name);
    let s = expire(t, (replay === undefined || !replayed ? state.computed[t.name] : undefined) ?? emptyState(t), now);
    for (const e of replayed ? arrived : []) {
      const entry = entryOf(t, e, now);
      if (entry && (!t.window || entry[0] >= now - windowMs(t))) s = add(t, s, entry);
    }
    // An empty state is not stored: reading it back gives `emptyState` again.
    if (s.kind === 'window' ? s.entries.length > 0 : s.acc.count > 0) computed[t.name] = s;
    const v = valueOf(t, s, now);
    computedValues[t.name] = v.value;
    soonest(v.changesAt);
  }
  const members: Record<string, number> = {};
  const changes: MembershipChange[] = [];
  const facts: ConditionFacts & { segments: Set<string> } = {
    ...profile,
    computed: computedValues,
    eventsByName: new Map(Object.entries(events)),
    segments: new Set(),
  };
  // A Map: each profile's members object has its own shape, so keyed lookups on it are slow.
  const before = new Map(Object.entries(state.members));
  for (const seg of defs.segments) {
    if (replay?.segments && !replay.segments.has(seg.id)) {
      const kept = before.get(seg.id);
      if (kept !== undefined) {
        facts.segments.add(seg.id);
        members[seg.id] = kept;
      }
      continue;
    }
    const r = evaluate(seg.condition, facts, now);
    soonest(r.changesAt);
    const was = before.get(seg.id);
    if (r.value) {
      facts.segments.add(seg.id);
      members[seg.id] = was ?? now;
      if (was === undefined) changes.push({ segmentId: seg.id, kind: 'entered', at: now });
    } else if (was !== undefined) changes.push({ segmentId: seg.id, kind: 'exited', at: now });
  }
  const next: AudienceState = { events, computed, members };
  return due === undefined ? { state: next, changes, computedValues } : { state: next, changes, computedValues, nextDue: due };
}

const windowMs = (t: ComputedTrait): number => (t.window ? durationMs(t.window) : Infinity);

/**
 * Whether two audience states hold the same (a backfill that changed nothing writes nothing). Exact
 * but quick: computed trait states must be the same objects (an unchanged one is kept as it was),
 * events the same ones in the same order with the same properties, memberships the same.
 */
export function sameAudience(a: AudienceState, b: AudienceState): boolean {
  const sameKeys = (x: object, y: object): boolean => Object.keys(x).length === Object.keys(y).length;
  if (!sameKeys(a.members, b.members) || !sameKeys(a.computed, b.computed) || !sameKeys(a.events, b.events)) return false;
  for (const [id, since] of Object.entries(a.members)) if (b.members[id] !== since) return false;
  for (const [name, state] of Object.entries(a.computed)) if (b.computed[name] !== state) return false;
  for (const [name, list] of Object.entries(a.events)) {
    const other = b.events[name];
    if (other === list) continue;
    if (other?.length !== list.length) return false;
    for (let i = 0; i < list.length; i++) if (!sameEvent(list[i] as StoredEvent, other[i] as StoredEvent)) return false;
  }
  return true;
}

/** Same event, same stored properties (compared one level deep: a nested value counts as changed unless it is the same object). */
function sameEvent(a: StoredEvent, b: StoredEvent): boolean {
  if (a.messageId !== b.messageId || a.ts !== b.ts || a.event !== b.event) return false;
  const keys = Object.keys(a.properties);
  return keys.length === Object.keys(b.properties).length && keys.every((k) => Object.hasOwn(b.properties, k) && a.properties[k] === b.properties[k]);
}

/** What the segments of a definitions object read of events: worked out once per object (definitions are immutable values). */
interface EventPlan {
  /** Event name → how far back some condition looks (ms). */
  readonly lookback: ReadonlyMap<string, number>;
  /** Event name → the property keys some condition reads (`where`, `sameProperties`); the rest is not stored. */
  readonly properties: ReadonlyMap<string, ReadonlySet<string>>;
}

const plans = new WeakMap<AudienceDefinitions, EventPlan>();

function planOf(defs: AudienceDefinitions): EventPlan {
  let plan = plans.get(defs);
  if (plan === undefined) {
    const lookback = new Map<string, number>();
    const properties = new Map<string, Set<string>>();
    for (const s of defs.segments) {
      for (const [name, ms] of dependenciesOf(s.condition).events) lookback.set(name, Math.max(lookback.get(name) ?? 0, ms));
      readProperties(s.condition, properties);
    }
    plans.set(defs, (plan = { lookback, properties }));
  }
  return plan;
}

/** Collects the event properties a condition reads: a dotted path by its whole name and by its first part (see `valueAt`). */
function readProperties(c: Condition, out: Map<string, Set<string>>): void {
  const use = (event: string, path: string): void => {
    let keys = out.get(event);
    if (keys === undefined) out.set(event, (keys = new Set()));
    keys.add(path).add(path.split('.')[0] as string);
  };
  const match = (m: EventMatch): void => {
    if (!out.has(m.event)) out.set(m.event, new Set());
    for (const w of m.where ?? []) use(m.event, w.property);
  };
  switch (c.kind) {
    case 'and':
    case 'or':
      for (const x of c.of) readProperties(x, out);
      return;
    case 'not':
      return readProperties(c.of, out);
    case 'event':
      return match(c);
    case 'sequence':
      match(c.first);
      match(c.thenNot);
      for (const p of c.sameProperties ?? []) {
        use(c.first.event, p);
        use(c.thenNot.event, p);
      }
      return;
    default:
      return;
  }
}

/** The event as stored for conditions: only the properties they read (computed traits take arrivals whole). */
function project(e: StoredEvent, keys: ReadonlySet<string> | undefined): StoredEvent {
  const properties: Record<string, unknown> = {};
  if (keys !== undefined && keys.size > 0) {
    for (const k of Object.keys(e.properties)) {
      if (!keys.has(k)) continue;
      // An own `__proto__` key (JSON can carry one) stays a plain property.
      if (k === '__proto__') Object.defineProperty(properties, k, { value: e.properties[k], enumerable: true, writable: true, configurable: true });
      else properties[k] = e.properties[k];
    }
  }
  return { event: e.event, ts: e.ts, messageId: e.messageId, properties };
}

/** Events in time order, ties by messageId: the order conditions see, whatever the arrival order. */
export const byTime = (a: StoredEvent, b: StoredEvent): number => a.ts - b.ts || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/** The stored events of one name and those that arrived, in time order (ties by messageId; events can arrive late), each messageId once (the first kept). */
function merge(list: readonly StoredEvent[], arrived: readonly StoredEvent[]): StoredEvent[] {
  const out = [...list];
  if (arrived.length === 1) {
    const e = arrived[0] as StoredEvent;
    if (!list.some((x) => x.messageId === e.messageId)) out.push(e);
  } else {
    const seen = new Set(list.map((x) => x.messageId));
    for (const e of arrived) {
      if (seen.has(e.messageId)) continue;
      seen.add(e.messageId);
      out.push(e);
    }
  }
  out.sort(byTime);
  return out;
}

/** Keeps, per event name, what some condition can still see: within its longest look-back, at most the latest N. */
function keep(events: Readonly<Record<string, readonly StoredEvent[]>>, lookback: ReadonlyMap<string, number>, now: number): Record<string, readonly StoredEvent[]> {
  const out: Record<string, readonly StoredEvent[]> = {};
  for (const [name, list] of Object.entries(events)) {
    const back = lookback.get(name);
    if (back === undefined) continue;
    // Lists are in time order, so what fell out of the look-back is a prefix.
    const from = now - back;
    let first = 0;
    while (first < list.length && (list[first] as StoredEvent).ts < from) first++;
    first = Math.max(first, list.length - EVENTS_KEPT_PER_NAME);
    if (first < list.length) out[name] = first === 0 ? list : list.slice(first);
  }
  return out;
}
