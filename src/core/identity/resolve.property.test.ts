import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HubEvent, LoggedEvent } from '../events/event.js';
import { groupKey, type GroupState, type ProfileState } from '../profiles/profile.js';
import { compareStamps, type Stamp } from '../profiles/traits.js';
import { DEFAULT_IDENTITY_RULES, identifierKey, identifiersOf, type Identifier, type IdentityRules } from './identifier.js';
import { batchNeeds, resolveBatch } from './resolve.js';
import { wsKey, type BatchNeeds, type BatchOutcome, type IdentityDecision, type IdentitySnapshot } from './snapshot.js';

/**
 * Property tests of identity resolution across batches. `MemoryStore` applies each batch outcome
 * the way the SQLite state store does (profiles upserted without touching createdAt, identifiers
 * re-read from the identifier table, merges moving identifiers and timeline entries and
 * re-pointing earlier redirects, links upserted, timeline rows inserted once), and feeds the
 * next batch the snapshot that store would load.
 */

const WS = 'ws_prop';
const USERS = ['u0', 'u1', 'u2'];
const ANONYMOUS = ['a0', 'a1', 'a2', 'a3'];
/** Two spellings of one address exercise normalisation. */
const EMAILS = ['e0@x.io', 'E0@X.io ', 'e1@x.io', 'e2@x.io'];
const GROUPS = ['g0', 'g1'];

const NO_LIMITS: IdentityRules = {
  identifiers: DEFAULT_IDENTITY_RULES.identifiers.map((r) => ({ type: r.type, paths: r.paths, ...(r.normalize ? { normalize: r.normalize } : {}) })),
};

interface TimelineRow {
  readonly profileId: string;
  readonly ts: number;
  readonly seq: number;
}

class MemoryStore {
  /** Profile rows: the identifiers of a profile live in `identifiers`, as in SQL. */
  readonly profiles = new Map<string, ProfileState>();
  readonly identifiers = new Map<string, { readonly identifier: Identifier; profileId: string }>();
  readonly timeline = new Map<string, TimelineRow>();
  readonly groups = new Map<string, GroupState>();
  readonly decisions: IdentityDecision[] = [];
  private lastId = 0;
  private batches = 0;

  constructor(private readonly rules: IdentityRules) {}

  process(events: readonly LoggedEvent[]): BatchOutcome {
    const now = ++this.batches;
    const outcome = resolveBatch(this.load(batchNeeds(events, this.rules)), events, {
      rules: this.rules,
      traitStrategies: {},
      now,
      newProfileId: () => `p${String(++this.lastId).padStart(4, '0')}`,
    });
    this.write(outcome);
    return outcome;
  }

  identifiersOf(profileId: string): Identifier[] {
    return [...this.identifiers.values()]
      .filter((r) => r.profileId === profileId)
      .map((r) => r.identifier)
      .sort((a, b) => identifierKey(a).localeCompare(identifierKey(b)));
  }

  live(): ProfileState[] {
    return [...this.profiles.values()].filter((p) => p.mergedInto === undefined).map((p) => ({ ...p, identifiers: this.identifiersOf(p.id) }));
  }

  private load(needs: BatchNeeds): IdentitySnapshot {
    const profileOf = new Map<string, string>();
    const profiles = new Map<string, ProfileState>();
    for (const { workspaceId, identifier } of needs.identifiers) {
      const key = wsKey(workspaceId, identifier);
      const row = this.identifiers.get(key);
      if (profileOf.has(key) || row === undefined) continue;
      profileOf.set(key, row.profileId);
      const p = this.profiles.get(row.profileId);
      if (!p) throw new Error(`identifier ${key} points at a missing profile ${row.profileId}`);
      if (!profiles.has(p.id)) profiles.set(p.id, { ...p, identifiers: this.identifiersOf(p.id) });
    }
    const groups = new Map<string, GroupState>();
    for (const { workspaceId, groupId } of needs.groups) {
      const g = this.groups.get(groupKey(workspaceId, groupId));
      if (g) groups.set(groupKey(workspaceId, groupId), g);
    }
    return { profileOf, profiles, groups };
  }

  private write(o: BatchOutcome): void {
    for (const p of o.profiles) {
      const existing = this.profiles.get(p.id);
      this.profiles.set(p.id, { ...p, identifiers: [], createdAt: existing?.createdAt ?? p.createdAt });
    }
    for (const m of o.merges) {
      for (const row of this.identifiers.values()) if (row.profileId === m.loserId) row.profileId = m.winnerId;
      for (const [key, row] of this.timeline) {
        if (row.profileId !== m.loserId) continue;
        this.timeline.delete(key);
        this.insertTimeline({ ...row, profileId: m.winnerId });
      }
      for (const p of this.profiles.values()) if (p.mergedInto === m.loserId) this.profiles.set(p.id, { ...p, mergedInto: m.winnerId });
    }
    for (const l of o.links) this.identifiers.set(wsKey(l.workspaceId, l.identifier), { identifier: l.identifier, profileId: l.profileId });
    for (const t of o.timeline) this.insertTimeline(t);
    this.decisions.push(...o.decisions);
    for (const g of o.groups) this.groups.set(groupKey(g.workspaceId, g.groupId), g);
  }

  /** `INSERT OR IGNORE` on the primary key (profile, ts, seq). */
  private insertTimeline(t: TimelineRow): void {
    const key = `${t.profileId}\u0000${t.ts}\u0000${t.seq}`;
    if (!this.timeline.has(key)) this.timeline.set(key, { profileId: t.profileId, ts: t.ts, seq: t.seq });
  }
}

/** What must hold after every batch, whatever the rules. */
function expectConsistent(store: MemoryStore, events: readonly LoggedEvent[], rules: IdentityRules): void {
  const isLive = (id: string | undefined): boolean => id !== undefined && store.profiles.get(id)?.mergedInto === undefined && store.profiles.has(id);
  for (const [key, row] of store.identifiers) expect(isLive(row.profileId), `identifier ${key} → ${row.profileId}`).toBe(true);
  // A merged-away id redirects to a live profile in one step (the reader follows one step only).
  for (const p of store.profiles.values()) if (p.mergedInto !== undefined) expect(isLive(p.mergedInto), `${p.id} → ${p.mergedInto}`).toBe(true);
  const seqs = [...store.timeline.values()].map((t) => t.seq).sort((a, b) => a - b);
  expect(seqs).toEqual(events.map((e) => e.seq).sort((a, b) => a - b));
  for (const t of store.timeline.values()) expect(isLive(t.profileId)).toBe(true);
  for (const p of store.live()) {
    for (const rule of rules.identifiers) {
      if (rule.limit === undefined) continue;
      expect(p.identifiers.filter((i) => i.type === rule.type).length, `${p.id} ${rule.type}`).toBeLessThanOrEqual(rule.limit);
    }
  }
}

/** The profile whose timeline holds each event (by messageId), with that profile's identifier keys. */
function timelineOwners(store: MemoryStore, events: readonly LoggedEvent[]): Map<string, Set<string>> {
  const bySeq = new Map(events.map((e) => [e.seq, e.event.messageId]));
  const out = new Map<string, Set<string>>();
  for (const t of store.timeline.values()) out.set(bySeq.get(t.seq) as string, new Set(store.identifiersOf(t.profileId).map(identifierKey)));
  return out;
}

// ---- generated events ------------------------------------------------------------------------

interface Draft {
  readonly type: 'identify' | 'track' | 'page' | 'group' | 'alias';
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly previousId?: string;
  readonly email?: string;
  readonly plan?: string;
  readonly city?: string;
  readonly groupId?: string;
  readonly seats?: number;
  readonly minute: number;
}

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });
const user = fc.constantFrom(...USERS);
const anon = fc.constantFrom(...ANONYMOUS);
const minute = fc.integer({ min: 0, max: 15 }); // few values: equal timestamps are common
const who = fc.record({ userId: maybe(user), anonymousId: maybe(anon) }).filter((w) => w.userId !== undefined || w.anonymousId !== undefined);

const draft = (aliasPrevious: fc.Arbitrary<string>): fc.Arbitrary<Draft> =>
  fc.oneof(
    fc.record({ type: fc.constant('identify' as const), who, email: maybe(fc.constantFrom(...EMAILS)), plan: maybe(fc.constantFrom('free', 'pro', 'team')), city: maybe(fc.constantFrom('Lyon', 'Oslo')), minute }),
    fc.record({ type: fc.constant('track' as const), who, email: maybe(fc.constantFrom(...EMAILS)), minute }),
    fc.record({ type: fc.constant('page' as const), who, minute }),
    fc.record({ type: fc.constant('group' as const), who, groupId: fc.constantFrom(...GROUPS), seats: maybe(fc.integer({ min: 1, max: 9 })), minute }),
    fc.record({ type: fc.constant('alias' as const), userId: user, anonymousId: maybe(anon), previousId: aliasPrevious, minute }),
  ).map((d) => {
    const { who: w, ...rest } = d as typeof d & { who?: { userId?: string; anonymousId?: string } };
    return { ...rest, ...w } as Draft;
  });

function toEvent(d: Draft, i: number): HubEvent {
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const traits = defined({ email: d.email, plan: d.plan, city: d.city });
  const base = defined({
    v: 1 as const,
    type: d.type,
    messageId: `m${String(i).padStart(3, '0')}`,
    userId: d.userId,
    anonymousId: d.anonymousId,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, d.minute)).toISOString(),
    receivedAt: '2026-02-01T00:00:00.000Z',
  });
  switch (d.type) {
    case 'identify':
      return { ...base, traits };
    case 'track':
      return defined({ ...base, event: 'Viewed', context: d.email === undefined ? undefined : { traits: { email: d.email } } });
    case 'page':
      return { ...base, name: 'Home' };
    case 'group':
      return { ...base, groupId: d.groupId as string, traits: defined({ seats: d.seats }) };
    case 'alias':
      return { ...base, previousId: d.previousId as string };
  }
}

/** Events in the given order, numbered as the log numbers them, cut into batches where `cuts` says. */
function batches(events: readonly HubEvent[], order: readonly number[], cuts: readonly boolean[]): LoggedEvent[][] {
  const out: LoggedEvent[][] = [[]];
  order.forEach((index, position) => {
    (out.at(-1) as LoggedEvent[]).push({ seq: position + 1, workspaceId: WS, event: events[index] as HubEvent });
    if (cuts[position] && position < order.length - 1) out.push([]);
  });
  return out;
}

function run(rules: IdentityRules, log: readonly LoggedEvent[][]): MemoryStore {
  const store = new MemoryStore(rules);
  const seen: LoggedEvent[] = [];
  for (const batch of log) {
    store.process(batch);
    seen.push(...batch);
    expectConsistent(store, seen, rules);
  }
  return store;
}

/** Live profiles as identifier partition, traits and memberships (profile ids and times left out). */
function summary(store: MemoryStore): { profiles: { ids: string[]; traits: Record<string, unknown>; groups: readonly string[] }[]; groups: Record<string, unknown> } {
  const profiles = store
    .live()
    .map((p) => ({ ids: p.identifiers.map(identifierKey), traits: { ...p.traits.values }, groups: p.groups }))
    .sort((a, b) => (a.ids[0] ?? '').localeCompare(b.ids[0] ?? ''));
  const groups = Object.fromEntries([...store.groups.values()].map((g) => [g.groupId, g.traits.values]).sort());
  return { profiles, groups };
}

/** The expected result without limits, computed without the resolver: union-find plus last-writer-wins. */
function oracle(events: readonly HubEvent[], rules: IdentityRules): ReturnType<typeof summary> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
    parent.set(k, root);
    return root;
  };
  const keysOf = (e: HubEvent): string[] => {
    const ids = identifiersOf(e, rules);
    // Alias targets are anonymous ids here: the pools of user ids and anonymous ids are disjoint.
    if (e.type === 'alias' && e.previousId !== undefined) ids.push({ type: 'anonymousId', value: e.previousId });
    return ids.map(identifierKey);
  };
  for (const e of events) {
    const [first, ...rest] = keysOf(e);
    for (const k of rest) parent.set(find(k), find(first as string));
  }
  const slot = <K, V>(m: Map<K, V>, k: K, make: () => V): V => {
    const found = m.get(k);
    if (found !== undefined) return found;
    const made = make();
    m.set(k, made);
    return made;
  };
  const traits = new Map<string, Map<string, { value: unknown; stamp: Stamp }>>();
  const members = new Map<string, Set<string>>();
  const groupTraits = new Map<string, Map<string, { value: unknown; stamp: Stamp }>>();
  const lww = (into: Map<string, { value: unknown; stamp: Stamp }>, written: Readonly<Record<string, unknown>>, stamp: Stamp): void => {
    for (const [k, value] of Object.entries(written)) {
      const cur = into.get(k);
      if (cur === undefined || compareStamps(stamp, cur.stamp) > 0) into.set(k, { value, stamp });
    }
  };
  for (const e of events) {
    const root = find(keysOf(e)[0] as string);
    const stamp: Stamp = [Date.parse(e.timestamp), e.messageId];
    if (e.type === 'identify' && e.traits) lww(slot(traits, root, () => new Map()), e.traits, stamp);
    if (e.type === 'group' && e.groupId !== undefined) {
      slot(members, root, () => new Set<string>()).add(e.groupId);
      lww(slot(groupTraits, e.groupId, () => new Map()), e.traits ?? {}, stamp);
    }
  }
  const components = new Map<string, string[]>();
  for (const k of [...parent.keys()]) slot(components, find(k), () => []).push(k);
  const values = (m: Map<string, { value: unknown }> | undefined): Record<string, unknown> =>
    Object.fromEntries([...(m ?? new Map<string, { value: unknown }>()).entries()].map(([k, v]) => [k, v.value]));
  const profiles = [...components.entries()]
    .map(([root, keys]) => ({ ids: keys.sort(), traits: values(traits.get(root)), groups: [...(members.get(root) ?? [])].sort() }))
    .sort((a, b) => (a.ids[0] ?? '').localeCompare(b.ids[0] ?? ''));
  const groups = Object.fromEntries([...groupTraits.entries()].map(([g, m]) => [g, values(m)]).sort());
  return { profiles, groups };
}

/** Events plus a permutation of them and a batch split (both for the permuted and the original order). */
const scenario = (aliasPrevious: fc.Arbitrary<string>) =>
  fc.array(draft(aliasPrevious), { minLength: 1, maxLength: 24 }).chain((drafts) => {
    const n = drafts.length;
    const indices = drafts.map((_, i) => i);
    return fc.record({
      events: fc.constant(drafts.map(toEvent)),
      order: fc.shuffledSubarray(indices, { minLength: n, maxLength: n }),
      cuts: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      otherCuts: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    });
  });

const inOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const oneBatch = (n: number): boolean[] => new Array<boolean>(n).fill(false);

describe('identity resolution without limits (union-find)', () => {
  it('gives the same profiles and traits in any arrival order and any batch split', () => {
    fc.assert(
      fc.property(scenario(anon), ({ events, order, cuts }) => {
        const expected = oracle(events, NO_LIMITS);
        const reference = run(NO_LIMITS, batches(events, inOrder(events.length), oneBatch(events.length)));
        const shuffled = run(NO_LIMITS, batches(events, order, cuts));
        expect(summary(reference)).toEqual(expected);
        expect(summary(shuffled)).toEqual(summary(reference));
        // Every event is on the timeline of the profile holding all of its identifiers.
        for (const [messageId, held] of timelineOwners(shuffled, batches(events, order, cuts).flat())) {
          const event = events.find((e) => e.messageId === messageId) as HubEvent;
          for (const id of identifiersOf(event, NO_LIMITS)) expect(held.has(identifierKey(id)), `${messageId} ${identifierKey(id)}`).toBe(true);
        }
        expect(shuffled.decisions).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('identity resolution with the default rules (one userId per profile)', () => {
  // Alias targets may be user ids or anonymous ids here.
  const previous = fc.constantFrom(...USERS, ...ANONYMOUS);

  it('never lets a live profile hold two userIds, and files every event under its first identifier', () => {
    fc.assert(
      fc.property(scenario(previous), ({ events, order, cuts }) => {
        const log = batches(events, order, cuts);
        const store = run(DEFAULT_IDENTITY_RULES, log); // checks the userId limit after every batch
        const owners = timelineOwners(store, log.flat());
        for (const { event } of log.flat()) {
          const held = owners.get(event.messageId);
          expect(held, event.messageId).toBeDefined();
          const first = identifiersOf(event, DEFAULT_IDENTITY_RULES)[0] as Identifier;
          expect(held?.has(identifierKey(first)), `${event.messageId} on the profile of ${identifierKey(first)}`).toBe(true);
          if (event.userId !== undefined) expect(held?.has(identifierKey({ type: 'userId', value: event.userId }))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same profiles for one arrival order however the log is cut into batches', () => {
    fc.assert(
      fc.property(scenario(previous), ({ events, order, cuts, otherCuts }) => {
        const a = run(DEFAULT_IDENTITY_RULES, batches(events, order, cuts));
        const b = run(DEFAULT_IDENTITY_RULES, batches(events, order, otherCuts));
        expect(summary(a)).toEqual(summary(b));
        expect(a.decisions.map((d) => [d.messageId, d.rule, identifierKey(d.identifier)])).toEqual(
          b.decisions.map((d) => [d.messageId, d.rule, identifierKey(d.identifier)]),
        );
      }),
      { numRuns: 300 },
    );
  });
});
