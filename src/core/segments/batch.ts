import type { ConditionFacts, ContextValue } from '../conditions/evaluate.js';
import { isTimeZone } from '../conditions/time.js';
import type { HubEvent } from '../events/event.js';
import { mergesByWinner, type BatchOutcome } from '../identity/snapshot.js';
import type { ProfileState } from '../profiles/profile.js';
import { emptyState, mergeStates, valueOf } from '../traits/computed.js';
import { advance, byTime, EMPTY_AUDIENCE, sameAudience, type AudienceDefinitions, type AudienceState, type MembershipChange, type ProfileFacts, type Replay, type StoredEvent } from './audience.js';
import { dependenciesOf } from './dependencies.js';

/** A profile's stored audience: its state and memberships (segment → since), and its timer. */
export interface AudienceRecord {
  readonly state: AudienceState;
  readonly nextDue?: number;
}

/** A hub event written on a profile's timeline (`Segment Entered` / `Segment Exited`). */
export interface HubTimelineEvent {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly ts: number;
  readonly body: { readonly type: 'track'; readonly event: string; readonly properties: Readonly<Record<string, unknown>> };
}

export interface AudienceOutcome {
  readonly audiences: readonly { readonly profileId: string; readonly workspaceId: string; readonly state: AudienceState; readonly nextDue?: number }[];
  readonly changes: readonly (MembershipChange & { readonly profileId: string; readonly workspaceId: string })[];
  readonly hubEvents: readonly HubTimelineEvent[];
  /** Profiles merged away: their audience and memberships go. */
  readonly removed: readonly string[];
}

/** The names conditions know page and screen calls by. */
const VIEWED = { page: 'Page Viewed', screen: 'Screen Viewed' } as const;

/** The name conditions and computed traits know an event by: a track's name, `Page Viewed`, `Screen Viewed`. */
export function factEvent(e: HubEvent): StoredEvent | undefined {
  const name = e.type === 'track' ? e.event : e.type === 'page' || e.type === 'screen' ? VIEWED[e.type] : undefined;
  if (name === undefined) return undefined;
  return { event: name, ts: Date.parse(e.timestamp), messageId: e.messageId, properties: { ...e.properties, ...(e.name ? { name: e.name } : {}) } };
}

/** The log's events whose facts bear one of `names`: track events of those names, and the calls known by one. */
export function factSelection(names: Iterable<string>): { readonly events: readonly string[]; readonly types: readonly string[] } {
  const events = [...names];
  return { events, types: Object.entries(VIEWED).filter(([, name]) => events.includes(name)).map(([type]) => type) };
}

export interface AudienceInput {
  readonly identity: BatchOutcome;
  /** The batch's events by log sequence number. */
  readonly events: ReadonlyMap<number, HubEvent>;
  /** Stored audiences of every profile in the identity outcome (survivors and merged-away ones). */
  readonly stored: ReadonlyMap<string, AudienceRecord>;
  readonly definitions: (workspaceId: string) => AudienceDefinitions;
  readonly segmentNames: (workspaceId: string, segmentId: string) => string;
  /** Context signals of a workspace, keyed by `contextKey(dimension, key)`. */
  readonly context: (workspaceId: string) => ReadonlyMap<string, ContextValue>;
  readonly now: number;
}

/**
 * The audience step of a processing batch: each surviving profile the batch touched takes in its
 * new events (merged-away profiles' audiences folded in first) and is evaluated once, at `now`.
 */
export function audienceStep(input: AudienceInput): AudienceOutcome {
  const { identity, now } = input;
  const seqs = new Map<string, number[]>();
  for (const t of identity.timeline) {
    const list = seqs.get(t.profileId);
    if (list) list.push(t.seq);
    else seqs.set(t.profileId, [t.seq]);
  }
  const newEvents = (profileId: string): StoredEvent[] => {
    const out: StoredEvent[] = [];
    for (const seq of seqs.get(profileId) ?? []) {
      const e = input.events.get(seq);
      const fact = e && factEvent(e);
      if (fact) out.push(fact);
    }
    return out;
  };
  const mergesInto = mergesByWinner(identity.merges);
  const live = identity.profiles.filter((p) => p.mergedInto === undefined);
  const audiences: AudienceOutcome['audiences'][number][] = [];
  const changes: AudienceOutcome['changes'][number][] = [];
  for (const p of live) {
    const defs = input.definitions(p.workspaceId);
    if (defs.segments.length === 0 && defs.computed.length === 0 && !input.stored.has(p.id)) continue;
    const merged = (mergesInto.get(p.id) ?? []).reduce((s, m) => mergeAudience(s, input.stored.get(m.loserId)?.state, defs), input.stored.get(p.id)?.state ?? EMPTY_AUDIENCE);
    const step = advance(merged, defs, profileFacts(p, input.context(p.workspaceId)), now, newEvents(p.id));
    audiences.push({ profileId: p.id, workspaceId: p.workspaceId, state: step.state, ...(step.nextDue !== undefined ? { nextDue: step.nextDue } : {}) });
    for (const c of step.changes) changes.push(profileChange(c, p));
  }
  return {
    audiences,
    changes,
    hubEvents: changes.map((c) => segmentEvent(c, input.segmentNames(c.workspaceId, c.segmentId))),
    removed: identity.merges.map((m) => m.loserId),
  };
}

/** Re-evaluates profiles whose timer fell due (no new event). */
export function timerStep(profiles: readonly ProfileState[], stored: ReadonlyMap<string, AudienceRecord>, input: Pick<AudienceInput, 'definitions' | 'segmentNames' | 'context' | 'now'>): AudienceOutcome {
  return audienceStep({ ...input, identity: { profiles, links: [], merges: [], decisions: [], timeline: [], groups: [] }, events: new Map(), stored });
}

/** What conditions read of a profile's traits; the `timezone` trait (IANA name) sets its local time. */
export function facts(traits: Readonly<Record<string, unknown>>): { traits: Readonly<Record<string, unknown>>; timezone?: string } {
  const tz = traits.timezone;
  return typeof tz === 'string' && tz.length < 64 && isTimeZone(tz) ? { traits, timezone: tz } : { traits };
}

/** The profile as audience conditions read it (built field by field: this runs for every profile of every batch). */
function profileFacts(p: ProfileState, context: ReadonlyMap<string, ContextValue>): ProfileFacts {
  const f = facts(p.traits.values);
  return f.timezone === undefined ? { traits: f.traits, context } : { traits: f.traits, timezone: f.timezone, context };
}

const profileChange = (c: MembershipChange, p: ProfileState): AudienceOutcome['changes'][number] => ({
  segmentId: c.segmentId,
  kind: c.kind,
  at: c.at,
  profileId: p.id,
  workspaceId: p.workspaceId,
});

function mergeAudience(a: AudienceState, b: AudienceState | undefined, defs: AudienceDefinitions): AudienceState {
  if (!b) return a;
  const events: Record<string, StoredEvent[]> = {};
  for (const name of new Set([...Object.keys(a.events), ...Object.keys(b.events)])) {
    const byId = new Map([...(a.events[name] ?? []), ...(b.events[name] ?? [])].map((e) => [e.messageId, e]));
    events[name] = [...byId.values()].sort(byTime);
  }
  const computed = { ...a.computed };
  for (const t of defs.computed) {
    const other = b.computed[t.name];
    if (other) computed[t.name] = mergeStates(t, computed[t.name] ?? emptyState(t), other);
  }
  return { events, computed, members: a.members };
}

function segmentEvent(c: AudienceOutcome['changes'][number], segmentName: string): HubTimelineEvent {
  return {
    workspaceId: c.workspaceId,
    profileId: c.profileId,
    ts: c.at,
    body: { type: 'track', event: c.kind === 'entered' ? 'Segment Entered' : 'Segment Exited', properties: { segmentId: c.segmentId, segmentName } },
  };
}

/**
 * Backfill of one new or changed definition: each profile's stored audience, with what that definition
 * reads taken again from the profile's history (`replay`, see `replayOf`), evaluated at `now`; the
 * memberships that change are reported. What other definitions need is kept as stored, and so is the
 * timer where it is sooner (segments the replay does not evaluate count on it). An audience the
 * backfill leaves as it was is not written again.
 */
export function rebuildStep(
  profiles: readonly ProfileState[],
  stored: ReadonlyMap<string, AudienceRecord>,
  history: ReadonlyMap<string, readonly StoredEvent[]>,
  replay: Replay,
  input: Pick<AudienceInput, 'definitions' | 'segmentNames' | 'context' | 'now'>,
): AudienceOutcome {
  const audiences: AudienceOutcome['audiences'][number][] = [];
  const changes: AudienceOutcome['changes'][number][] = [];
  for (const p of profiles) {
    const record = stored.get(p.id);
    const step = advance(record?.state ?? EMPTY_AUDIENCE, input.definitions(p.workspaceId), profileFacts(p, input.context(p.workspaceId)), input.now, history.get(p.id) ?? [], replay);
    const nextDue = replay.segments ? soonest(step.nextDue, record?.nextDue) : step.nextDue;
    // Most profiles of a new segment's backfill are not in it and their stored audience stays as it was.
    if (record && nextDue === record.nextDue && sameAudience(record.state, step.state)) continue;
    audiences.push({ profileId: p.id, workspaceId: p.workspaceId, state: step.state, ...(nextDue !== undefined ? { nextDue } : {}) });
    for (const c of step.changes) changes.push(profileChange(c, p));
  }
  return { audiences, changes, hubEvents: changes.map((c) => segmentEvent(c, input.segmentNames(c.workspaceId, c.segmentId))), removed: [] };
}

const soonest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/**
 * What a backfill of a definition replays, and the event names it reads of the profiles' histories:
 * the events a segment reads (a changed segment's earlier version may have read others: their stored
 * copies age out), or a computed trait, from its event. A segment is evaluated with the segments it
 * names and those that name it, directly or not; a computed trait, with every segment (conditions may
 * read it).
 */
export function replayOf(
  defs: AudienceDefinitions,
  definition: { readonly kind: 'segment'; readonly id: string } | { readonly kind: 'computedTrait'; readonly name: string },
): { readonly replay: Replay; readonly reads: ReadonlySet<string> } {
  if (definition.kind === 'computedTrait') {
    const t = defs.computed.find((c) => c.name === definition.name);
    return { replay: { events: new Set(), computed: new Set(t ? [t.name] : []) }, reads: new Set(t ? [t.event] : []) };
  }
  const s = defs.segments.find((x) => x.id === definition.id);
  const events = new Set(s ? dependenciesOf(s.condition).events.keys() : []);
  const segments = related(defs, definition.id);
  const computedRead = new Set(defs.segments.filter((x) => segments.has(x.id)).flatMap((x) => [...dependenciesOf(x.condition).computed]));
  return { replay: { events, computed: new Set(), segments, computedRead }, reads: events };
}

/**
 * A segment, the segments naming it, and what each of them names, transitively: the segments whose
 * membership may follow from it, each evaluated after what it reads (so that nothing is entered on
 * a stale membership that a timer then takes back).
 */
function related(defs: AudienceDefinitions, id: string): ReadonlySet<string> {
  const names = new Map(defs.segments.map((s) => [s.id, dependenciesOf(s.condition).segments]));
  const closure = (from: Iterable<string>, next: (id: string) => Iterable<string>): Set<string> => {
    const seen = new Set(from);
    for (const x of seen) for (const y of next(x)) seen.add(y);
    return seen;
  };
  const naming = closure([id], (x) => [...names].filter(([, deps]) => deps.has(x)).map(([y]) => y));
  return closure(naming, (x) => names.get(x) ?? []);
}

/** Everything a condition may read of a profile outside the audience step (journey branches, exits, goals). */
export function conditionFacts(
  profile: ProfileState,
  audience: AudienceState | undefined,
  defs: AudienceDefinitions,
  context: ReadonlyMap<string, ContextValue>,
  now: number,
): ConditionFacts {
  const a = audience ?? EMPTY_AUDIENCE;
  const computed: Record<string, unknown> = {};
  for (const t of defs.computed) computed[t.name] = valueOf(t, a.computed[t.name] ?? emptyState(t), now).value;
  return {
    ...facts(profile.traits.values),
    computed,
    eventsByName: new Map(Object.entries(a.events)),
    segments: new Set(Object.keys(a.members)),
    context,
  };
}
