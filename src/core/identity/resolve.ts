import type { HubEvent, LoggedEvent } from '../events/event.js';
import { EMPTY_TRAITS, groupKey, type GroupState, type ProfileState } from '../profiles/profile.js';
import { mergeTraits, writeTraits, type Stamp, type TraitStrategies } from '../profiles/traits.js';
import { aliasCandidates, identifiersOf, type Identifier, type IdentityRules } from './identifier.js';
import { wsKey, type BatchNeeds, type BatchOutcome, type IdentityDecision, type IdentitySnapshot, type MergeRecord, type TimelineEntry } from './snapshot.js';

export interface ResolveOptions {
  readonly rules: IdentityRules;
  readonly traitStrategies: TraitStrategies;
  readonly now: number;
  /** Id generator for new profiles (injected: the core has no randomness of its own). */
  readonly newProfileId: () => string;
}

/** Every identifier and group a batch may touch, so the store can load them before it runs. */
export function batchNeeds(events: readonly LoggedEvent[], rules: IdentityRules): BatchNeeds {
  const identifiers: { workspaceId: string; identifier: Identifier }[] = [];
  const groups: { workspaceId: string; groupId: string }[] = [];
  for (const { workspaceId, event } of events) {
    for (const identifier of identifiersOf(event, rules)) identifiers.push({ workspaceId, identifier });
    if (event.type === 'alias' && event.previousId !== undefined) {
      for (const identifier of aliasCandidates(event.previousId)) identifiers.push({ workspaceId, identifier });
    }
    if (event.type === 'group' && event.groupId !== undefined) groups.push({ workspaceId, groupId: event.groupId });
  }
  return { identifiers, groups };
}

/**
 * Identity resolution and profile updates for a batch of logged events, in log order.
 * Pure: the snapshot is not mutated; the outcome lists every change to commit.
 *
 * Policy: an event's identifiers are taken in rule priority order. The first one decides the
 * starting profile (or a new one); each further identifier either joins it (unknown identifier),
 * merges its profile into it, or — when that would exceed a rule's per-profile limit — is dropped
 * from this link and the decision is recorded. Without limits this is union-find, so the
 * resulting profiles do not depend on arrival order.
 */
export function resolveBatch(snapshot: IdentitySnapshot, events: readonly LoggedEvent[], opts: ResolveOptions): BatchOutcome {
  const w = new Working(snapshot, opts);
  for (const logged of events) w.apply(logged);
  return w.outcome();
}

class Working {
  private readonly profileOf: Map<string, string>;
  private readonly profiles: Map<string, ProfileState>;
  private readonly groups: Map<string, GroupState>;
  private readonly dirty = new Set<string>();
  private readonly dirtyGroups = new Set<string>();
  private readonly links = new Map<string, { workspaceId: string; identifier: Identifier; profileId: string }>();
  private readonly redirect = new Map<string, string>();
  private readonly merges: MergeRecord[] = [];
  private readonly decisions: IdentityDecision[] = [];
  private readonly timeline: TimelineEntry[] = [];

  constructor(
    snapshot: IdentitySnapshot,
    private readonly opts: ResolveOptions,
  ) {
    this.profileOf = new Map(snapshot.profileOf);
    this.profiles = new Map(snapshot.profiles);
    this.groups = new Map(snapshot.groups);
  }

  apply({ seq, workspaceId, event }: LoggedEvent): void {
    const profileId = this.resolve(workspaceId, event);
    const ts = Date.parse(event.timestamp);
    this.timeline.push({ workspaceId, profileId, seq, ts });
    const stamp: Stamp = [ts, event.messageId];
    const p = this.get(profileId);
    let traits = p.traits;
    let groups = p.groups;
    if (event.type === 'identify' && event.traits) traits = writeTraits(traits, event.traits, stamp, this.opts.traitStrategies);
    if (event.type === 'group' && event.groupId !== undefined) {
      if (!groups.includes(event.groupId)) groups = [...groups, event.groupId].sort();
      this.writeGroup(workspaceId, event.groupId, event.traits ?? {}, stamp);
    }
    // `updatedAt` is when the profile itself (identifiers, traits, groups) last changed: an event that
    // changes none of them is on the timeline only, and leaves the stored profile as it was.
    this.put(traits === p.traits && groups === p.groups ? p : { ...p, traits, groups, updatedAt: Math.max(p.updatedAt, this.opts.now) });
  }

  /** Finds (or creates) the profile of an event, linking and merging as the rules allow. */
  private resolve(workspaceId: string, event: HubEvent): string {
    const ids = identifiersOf(event, this.opts.rules);
    if (event.type === 'alias' && event.previousId !== undefined) {
      const previous = this.aliasTarget(workspaceId, event.previousId);
      if (!ids.some((i) => i.type === previous.type && i.value === previous.value)) ids.push(previous);
    }
    let current: string | undefined;
    const fresh: Identifier[] = [];
    const dropped: { identifier: Identifier; otherProfileId: string | undefined; rule: string }[] = [];
    for (const id of ids) {
      const holder = this.profileOf.get(wsKey(workspaceId, id));
      if (holder !== undefined && holder === current) continue;
      const joining = holder === undefined ? [id] : this.get(holder).identifiers;
      const have = current === undefined ? fresh : [...this.get(current).identifiers, ...fresh];
      const broken = this.brokenRule(have, joining);
      if (broken !== undefined) {
        dropped.push({ identifier: id, otherProfileId: holder, rule: broken });
        continue;
      }
      if (holder === undefined) fresh.push(id);
      else current = current === undefined ? holder : this.merge(current, holder, event.messageId, id);
    }
    current ??= this.create(workspaceId);
    const { messageId } = event;
    for (const d of dropped) this.decisions.push({ workspaceId, kind: 'link_dropped', messageId, profileId: current, ...d, at: this.opts.now });
    for (const id of fresh) this.link(workspaceId, id, current);
    return current;
  }

  private aliasTarget(workspaceId: string, previousId: string): Identifier {
    const [asUser, asAnonymous] = aliasCandidates(previousId) as [Identifier, Identifier];
    return this.profileOf.has(wsKey(workspaceId, asUser)) ? asUser : asAnonymous;
  }

  /** The rule that `have ∪ joining` would break, if any (e.g. `userId limit 1`). */
  private brokenRule(have: readonly Identifier[], joining: readonly Identifier[]): string | undefined {
    for (const rule of this.opts.rules.identifiers) {
      if (rule.limit === undefined) continue;
      const values = new Set<string>();
      for (const id of have) if (id.type === rule.type) values.add(id.value);
      for (const id of joining) if (id.type === rule.type) values.add(id.value);
      if (values.size > rule.limit) return `${rule.type} limit ${rule.limit}`;
    }
    return undefined;
  }

  private create(workspaceId: string): string {
    const id = this.opts.newProfileId();
    const now = this.opts.now;
    this.put({ id, workspaceId, identifiers: [], traits: EMPTY_TRAITS, groups: [], mergedFrom: [], createdAt: now, updatedAt: now });
    return id;
  }

  private link(workspaceId: string, identifier: Identifier, profileId: string): void {
    const key = wsKey(workspaceId, identifier);
    this.profileOf.set(key, profileId);
    this.links.set(key, { workspaceId, identifier, profileId });
    const p = this.get(profileId);
    this.put({ ...p, identifiers: [...p.identifiers, identifier], updatedAt: Math.max(p.updatedAt, this.opts.now) });
  }

  /** Merges two profiles; the older one (then the smaller id) survives. Returns the survivor. */
  private merge(a: string, b: string, messageId: string, via: Identifier): string {
    const pa = this.get(a);
    const pb = this.get(b);
    const [winner, loser] = pa.createdAt < pb.createdAt || (pa.createdAt === pb.createdAt && pa.id < pb.id) ? [pa, pb] : [pb, pa];
    const strategies = this.opts.traitStrategies;
    this.put({
      ...winner,
      identifiers: [...winner.identifiers, ...loser.identifiers],
      traits: mergeTraits(winner.traits, loser.traits, strategies),
      groups: [...new Set([...winner.groups, ...loser.groups])].sort(),
      mergedFrom: [...new Set([...winner.mergedFrom, loser.id, ...loser.mergedFrom])].sort(),
      updatedAt: Math.max(winner.updatedAt, loser.updatedAt, this.opts.now),
    });
    this.put({ ...loser, mergedInto: winner.id, updatedAt: this.opts.now });
    for (const id of loser.identifiers) {
      const key = wsKey(loser.workspaceId, id);
      this.profileOf.set(key, winner.id);
      const pending = this.links.get(key);
      if (pending) this.links.set(key, { ...pending, profileId: winner.id });
    }
    this.redirect.set(loser.id, winner.id);
    this.merges.push({ workspaceId: winner.workspaceId, winnerId: winner.id, loserId: loser.id, messageId, via, at: this.opts.now });
    return winner.id;
  }

  private writeGroup(workspaceId: string, groupId: string, traits: Readonly<Record<string, unknown>>, stamp: Stamp): void {
    const key = groupKey(workspaceId, groupId);
    const g = this.groups.get(key) ?? { workspaceId, groupId, traits: EMPTY_TRAITS, updatedAt: this.opts.now };
    this.groups.set(key, { ...g, traits: writeTraits(g.traits, traits, stamp, this.opts.traitStrategies), updatedAt: this.opts.now });
    this.dirtyGroups.add(key);
  }

  private get(id: string): ProfileState {
    const p = this.profiles.get(id);
    if (!p) throw new Error(`profile ${id} missing from the snapshot`);
    return p;
  }

  private put(p: ProfileState): void {
    this.profiles.set(p.id, p);
    this.dirty.add(p.id);
  }

  private survivor(id: string): string {
    let cur = id;
    for (let next = this.redirect.get(cur); next !== undefined; next = this.redirect.get(cur)) cur = next;
    return cur;
  }

  outcome(): BatchOutcome {
    return {
      profiles: [...this.dirty].map((id) => this.get(id)),
      links: [...this.links.values()],
      merges: this.merges,
      decisions: this.decisions.map((d) => ({ ...d, profileId: this.survivor(d.profileId) })),
      timeline: this.timeline.map((t) => ({ ...t, profileId: this.survivor(t.profileId) })),
      groups: [...this.dirtyGroups].map((k) => this.groups.get(k) as GroupState),
    };
  }
}
