import type Database from 'better-sqlite3';
import type { Identifier } from '../../core/identity/identifier.js';
import { wsKey, type BatchNeeds, type BatchOutcome, type IdentitySnapshot, type TimelineEntry } from '../../core/identity/snapshot.js';
import { groupKey, type GroupState, type ProfileState } from '../../core/profiles/profile.js';
import type { JourneyOutcome } from '../../core/journeys/batch.js';
import { HUB_SEQ } from '../../ports/profile-reader.js';
import { CursorConflict, type AudienceSelection, type AudienceWork, type BatchWork, type JourneyInputs, type JourneyWork, type StateStore } from '../../ports/state-store.js';
import { SqliteAudiences } from './audience-store.js';
import { SqliteDecisionWrites } from './decisions.js';
import { SqliteJourneyStates } from './journey-states.js';
import { SqliteOutboxWrites } from './outbox.js';
import { ProfileCache, type CachedProfile } from './profile-cache.js';
import { stateStatements, storedProfiles, TIMELINE_CHUNK } from './state-statements.js';
import { groupFromRow, groupToRow, PROFILE_ROW_VERSION, profileFromRow, profileToRow, type GroupRow, type ProfileRow } from './rows.js';
import type { WriteGate } from './write-gate.js';

/**
 * Profiles kept in memory between batches (most events are of a profile seen recently): 20,000 to
 * 40,000. More barely helps throughput and lengthens garbage-collection pauses (timer lateness).
 */
const PROFILE_CACHE_SIZE = 20_000;

/** Profile state in `state.db`: each batch is one synchronous transaction with the cursor. */
export class SqliteStateStore implements StateStore {
  private readonly s;
  private readonly unit;
  private readonly audienceUnit;
  private readonly journeyUnit;
  private readonly audiences: SqliteAudiences;
  private readonly journeyStates: SqliteJourneyStates;
  private readonly decisions: SqliteDecisionWrites;
  private readonly outbox: SqliteOutboxWrites;
  /** Profiles the batch being processed loaded (valid only inside its transaction). */
  private loaded = new Map<string, CachedProfile>();
  private readonly cache = new ProfileCache(PROFILE_CACHE_SIZE);
  /** `profile_writes` as the transaction being run leaves it. */
  private written = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly gate?: WriteGate,
  ) {
    this.s = stateStatements(db);
    this.audiences = new SqliteAudiences(db, this.cache);
    this.journeyStates = new SqliteJourneyStates(db);
    this.decisions = new SqliteDecisionWrites(db);
    this.outbox = new SqliteOutboxWrites(db);
    this.unit = this.transaction((after: number, upTo: number, needs: BatchNeeds, work: BatchWork) => {
      const found = this.s.cursor.get() as number;
      if (found !== after) throw new CursorConflict(after, found);
      try {
        const identity = work.identity(this.load(needs));
        const audiences = this.audiences.cached(identity.profiles.map((p) => p.id));
        const audience = work.audience(identity, audiences);
        const live = identity.profiles.filter((p) => p.mergedInto === undefined);
        // Merged-away profiles' states too: the survivor takes them over in this step.
        const journeys = work.journeys && live.length > 0 ? this.runJourneys(work.journeys, { profiles: live, identity, audience, audiences }, identity.profiles) : undefined;
        this.write(identity);
        if (work.engagement) this.decisions.engage(work.engagement(identity));
        if (audience) this.audiences.write(audience);
        if (journeys) this.writeJourneys(journeys);
      } finally {
        this.loaded = new Map();
      }
      this.s.setCursor.run(upTo);
    });
    this.audienceUnit = this.transaction((select: AudienceSelection, work: AudienceWork, journeyWork?: JourneyWork): number => {
      const ids = 'ids' in select ? select.ids : this.audiences.dueProfiles(select.dueBy, select.limit);
      const profiles = this.liveProfiles(ids);
      if (profiles.length > 0) {
        const audiences = this.audiences.load(ids);
        const audience = work(profiles, audiences);
        const journeys = journeyWork && this.runJourneys(journeyWork, { profiles, audience, audiences });
        this.audiences.write(audience);
        if (journeys) this.writeJourneys(journeys);
      }
      // An audience left behind by a profile merged away (or gone) must not stay due forever.
      const live = new Set(profiles.map((p) => p.id));
      this.audiences.write({ audiences: [], changes: [], hubEvents: [], removed: ids.filter((id) => !live.has(id)) });
      return ids.length;
    });
    this.journeyUnit = this.transaction((dueBy: number, limit: number, work: JourneyWork): number => {
      const ids = this.journeyStates.dueProfiles(dueBy, limit);
      const profiles = this.liveProfiles(ids);
      const journeys = this.runJourneys(work, { profiles, audiences: this.audiences.load(ids) });
      if (journeys) this.writeJourneys(journeys);
      const live = new Set(profiles.map((p) => p.id));
      // States left behind by a profile merged away (or gone) must not stay due forever.
      for (const id of ids) if (!live.has(id)) this.journeyStates.forget(id);
      return ids.length;
    });
  }

  /** A write transaction of processing: the profile cache begins with it; when it wrote profiles or audiences, it counts itself in `profile_writes`. */
  private transaction<A extends unknown[], R>(fn: (...args: A) => R): Database.Transaction<(...args: A) => R> {
    return this.db.transaction((...args: A): R => {
      this.written = this.s.profileWrites.get() as number;
      this.cache.begin(this.written);
      const r = fn(...args);
      if (this.cache.wroteAny) this.written = this.s.wroteProfiles.get() as number;
      return r;
    });
  }

  /** Profiles of timers and backfills: read as they are, all at once, not kept in the cache (a backfill reads each profile once, and would only churn it). */
  private liveProfiles(ids: readonly string[]): ProfileState[] {
    const stored = storedProfiles(this.s, ids.filter((id) => !this.cache.profile(id)));
    return ids.map((id) => this.cache.profile(id)?.state ?? stored.get(id)).filter((p): p is ProfileState => p !== undefined && p.mergedInto === undefined);
  }

  /** Runs a journey step on its stored inputs: states and contacts of `all` (the profiles and those merged into them in this step). */
  private runJourneys(work: JourneyWork, inputs: Omit<JourneyInputs, 'journeys' | 'contacts'>, all: readonly ProfileState[] = inputs.profiles): JourneyOutcome | undefined {
    return work.run({ ...inputs, journeys: this.journeyStates.load(all.map((p) => p.id)), contacts: this.decisions.contacts(all, work.ledger) });
  }

  /** Journey states, records and stats, decisions and the contacts they sent; profiles an `update` step changed, with their audience due for a re-check. */
  private writeJourneys(o: JourneyOutcome): void {
    this.journeyStates.write(o);
    this.decisions.write(o.decisions, o.contacts);
    this.outbox.write(o.messages);
    for (const p of o.profiles) {
      const row = profileToRow(p);
      this.s.updateProfile.run(row); // an `update` step changes traits only
      this.cache.wrote({ state: p, row }, false);
      this.s.recheckAudience.run(p.updatedAt, p.updatedAt, p.id);
    }
  }

  processJourneys(dueBy: number, limit: number, work: JourneyWork): Promise<number> {
    return Promise.resolve(this.committing(() => this.journeyUnit.immediate(dueBy, limit, work)));
  }

  processAudiences(select: AudienceSelection, work: AudienceWork, journeys?: JourneyWork): Promise<number> {
    return Promise.resolve(this.committing(() => this.audienceUnit.immediate(select, work, journeys)));
  }

  /** Runs a write transaction (see `transaction`), in its turn (see `WriteGate`); the profile cache keeps what it wrote only if it committed. */
  private committing<T>(tx: () => T): T {
    this.gate?.enterProcessing();
    try {
      const r = tx();
      this.cache.committed(this.written);
      return r;
    } catch (e) {
      this.cache.rolledBack();
      throw e;
    } finally {
      this.gate?.leaveProcessing();
    }
  }

  nextDue(): Promise<number | undefined> {
    const a = this.audiences.nextDue();
    const j = this.journeyStates.nextDue();
    return Promise.resolve(a === undefined ? j : j === undefined ? a : Math.min(a, j));
  }

  histories(profileIds: readonly string[]): Promise<ReadonlyMap<string, readonly number[]>> {
    const out = new Map<string, number[]>();
    for (const r of this.s.histories.iterate(HUB_SEQ, JSON.stringify(profileIds)) as Iterable<{ profile_id: string; seqs: string }>) out.set(r.profile_id, JSON.parse(r.seqs) as number[]);
    return Promise.resolve(out);
  }

  /** The profile holding an identifier: the cached owner's while it is still there, else the stored owner's. */
  private holder(workspaceId: string, identifier: Identifier, key: string): CachedProfile | undefined {
    const owner = this.cache.owner(key);
    const cached = owner === undefined ? undefined : this.profileById(owner, key);
    if (cached) return cached;
    const id = this.s.profileOf.get(workspaceId, identifier.type, identifier.value) as string | undefined;
    return id === undefined ? undefined : this.profileById(id, key);
  }

  private profileById(id: string, key?: string): CachedProfile | undefined {
    const cached = this.cache.profile(id);
    if (cached) return cached;
    const p = this.storedProfile(id);
    if (p) this.cache.read(key, p);
    return p;
  }

  /** A profile as stored, read afresh (not kept in the cache). */
  private storedProfile(id: string): CachedProfile | undefined {
    const row = this.s.profile.get(id) as ProfileRow | undefined;
    return row && { state: profileFromRow(row, this.s.identifiersOf.all(id) as Identifier[]), row };
  }

  cursor(): Promise<number> {
    return Promise.resolve(this.s.cursor.get() as number);
  }

  process(after: number, upTo: number, needs: BatchNeeds, work: BatchWork): Promise<void> {
    this.committing(() => this.unit.immediate(after, upTo, needs, work));
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private load(needs: BatchNeeds): IdentitySnapshot {
    const profileOf = new Map<string, string>();
    const profiles = new Map<string, ProfileState>();
    for (const { workspaceId, identifier } of needs.identifiers) {
      const key = wsKey(workspaceId, identifier);
      if (profileOf.has(key)) continue;
      const p = this.holder(workspaceId, identifier, key);
      if (p === undefined) continue;
      const profileId = p.state.id;
      profileOf.set(key, profileId);
      if (!profiles.has(profileId)) {
        profiles.set(profileId, p.state);
        this.loaded.set(profileId, p);
      }
    }
    const groups = new Map<string, GroupState>();
    for (const { workspaceId, groupId } of needs.groups) {
      const row = this.s.group.get(workspaceId, groupId) as GroupRow | undefined;
      if (row) groups.set(groupKey(workspaceId, groupId), groupFromRow(row));
    }
    return { profileOf, profiles, groups };
  }

  private write(o: BatchOutcome): void {
    const s = this.s;
    const touched = new Map<number, string[]>();
    for (const p of o.profiles) this.writeProfile(p, touched);
    for (const [at, ids] of touched) s.touchProfiles.run(at, JSON.stringify(ids));
    for (const m of o.merges) {
      s.moveIdentifiers.run(m.winnerId, m.loserId);
      s.moveTimeline.run(m.winnerId, m.loserId);
      s.redirectMerged.run(m.winnerId, m.loserId);
      s.insertMerge.run(m.workspaceId, m.winnerId, m.loserId, m.messageId, m.via.type, m.via.value, m.at);
      this.journeyStates.merged(m.winnerId, m.loserId);
      this.decisions.merged(m.winnerId, m.loserId);
    }
    for (const l of o.links) s.link.run(l.workspaceId, l.identifier.type, l.identifier.value, l.profileId);
    this.writeTimeline(o.timeline);
    for (const d of o.decisions) {
      s.decision.run(d.workspaceId, d.kind, d.messageId, d.profileId, d.identifier.type, d.identifier.value, d.otherProfileId ?? null, d.rule, d.at);
    }
    for (const g of o.groups) s.upsertGroup.run(groupToRow(g));
  }

  /**
   * Writes a profile the batch created or changed. Most events only move `updatedAt` of a profile
   * loaded for the batch: then only that column is written, for all such profiles at once (`touched`,
   * by new `updatedAt`); otherwise the JSON of the parts that kept their identity (the core returns
   * unchanged parts as the same objects) is reused.
   */
  private writeProfile(p: ProfileState, touched: Map<number, string[]>): void {
    const before = this.loaded.get(p.id);
    if (before === undefined) {
      const row = profileToRow(p);
      this.s.upsertProfile.run(row);
      this.cache.wrote({ state: p, row }, true);
      return;
    }
    const { state: b, row } = before;
    const sameTraits = p.traits === b.traits;
    if (
      sameTraits && p.groups === b.groups && p.mergedFrom === b.mergedFrom && p.mergedInto === b.mergedInto &&
      p.workspaceId === b.workspaceId && row.v === PROFILE_ROW_VERSION
    ) {
      if (p.updatedAt !== b.updatedAt) {
        const ids = touched.get(p.updatedAt);
        if (ids) ids.push(p.id);
        else touched.set(p.updatedAt, [p.id]);
      }
      this.cache.wrote({ state: p, row: p.updatedAt === row.updated_at ? row : { ...row, updated_at: p.updatedAt } }, p.identifiers !== b.identifiers);
      return;
    }
    const written = profileToRow(p, {
      traits: sameTraits ? row.traits : undefined,
      trait_stamps: sameTraits ? row.trait_stamps : undefined,
      groups: p.groups === b.groups ? row.groups : undefined,
      merged_from: p.mergedFrom === b.mergedFrom ? row.merged_from : undefined,
    });
    (p.mergedInto === b.mergedInto ? this.s.updateProfile : this.s.upsertProfile).run(written);
    this.cache.wrote({ state: p, row: written }, p.identifiers !== b.identifiers);
  }

  private writeTimeline(timeline: BatchOutcome['timeline']): void {
    const full = timeline.length - (timeline.length % TIMELINE_CHUNK);
    const args: (string | number)[] = new Array<string | number>(TIMELINE_CHUNK * 4);
    for (let i = 0; i < full; i += TIMELINE_CHUNK) {
      for (let j = 0; j < TIMELINE_CHUNK; j++) {
        const t = timeline[i + j] as TimelineEntry;
        args[j * 4] = t.profileId;
        args[j * 4 + 1] = t.ts;
        args[j * 4 + 2] = t.seq;
        args[j * 4 + 3] = t.workspaceId;
      }
      this.s.timelineChunk.run(args);
    }
    for (let i = full; i < timeline.length; i++) {
      const t = timeline[i] as TimelineEntry;
      this.s.timeline.run(t.profileId, t.ts, t.seq, t.workspaceId);
    }
  }
}
