import type { ConditionFacts } from '../conditions/evaluate.js';
import type { ProfileState } from '../profiles/profile.js';
import type { TraitStrategies } from '../profiles/traits.js';
import type { HubTimelineEvent } from '../segments/batch.js';
import type { Arbiter, Candidate, CandidateOutcome } from './candidate.js';
import { dueOf, transition, type JourneyCommand, type JourneyEvent, type JourneyInput, type JourneyState, type RunnableJourney } from './machine.js';

/** A workspace's journeys (every status), indexed by the events that start them. */
export interface JourneyWorkspace {
  readonly byId: ReadonlyMap<string, RunnableJourney>;
  /** Event name → live journeys entered by it (`Segment Entered` for segment entries). */
  readonly entryEvents: ReadonlyMap<string, readonly RunnableJourney[]>;
}

export interface JourneyProfileInput {
  readonly profile: ProfileState;
  readonly facts: ConditionFacts;
  /** What happened to the profile in this step, in time order (its events and the hub's own). */
  readonly events: readonly JourneyEvent[];
  /** Stored states by journey id, with the timer stored for each. */
  readonly stored: ReadonlyMap<string, StoredJourneyState>;
}

export interface StoredJourneyState {
  readonly state: JourneyState;
  readonly due?: number;
}

export interface JourneyStepInput {
  readonly profiles: readonly JourneyProfileInput[];
  readonly journeys: (workspaceId: string) => JourneyWorkspace;
  readonly arbiter: Arbiter;
  readonly traitStrategies: TraitStrategies;
  readonly now: number;
}

export interface JourneyStateWrite {
  readonly profileId: string;
  readonly workspaceId: string;
  readonly journeyId: string;
  readonly state: JourneyState;
  readonly due?: number;
}

export interface JourneyOutcome {
  readonly states: readonly JourneyStateWrite[];
  readonly hubEvents: readonly HubTimelineEvent[];
  readonly decisions: readonly { readonly candidate: Candidate; readonly outcome: CandidateOutcome }[];
  /** Profiles whose traits an `update` step changed. */
  readonly profiles: readonly ProfileState[];
}

/** Bounds chains of actions decided in one step (action → action → …); a validated journey has few. */
const MAX_DECISION_ROUNDS = 50;

/**
 * The journey step of a processing step: every input of each profile (events in time order, then
 * its timers at `now`) goes through the step machine of each journey it concerns; after each input
 * the candidates it raised across the profile's journeys are decided together, and each journey
 * continues on its decision.
 */
export function journeyStep(input: JourneyStepInput): JourneyOutcome {
  const out = { states: [] as JourneyStateWrite[], hubEvents: [] as HubTimelineEvent[], decisions: [] as JourneyOutcome['decisions'][number][], profiles: [] as ProfileState[] };
  for (const p of input.profiles) profileStep(p, input, out);
  return out;
}

function profileStep(p: JourneyProfileInput, input: JourneyStepInput, out: { states: JourneyStateWrite[]; hubEvents: HubTimelineEvent[]; decisions: JourneyOutcome['decisions'][number][]; profiles: ProfileState[] }): void {
  const ws = input.journeys(p.profile.workspaceId);
  const states = new Map([...p.stored].map(([id, s]) => [id, s.state]));
  const changed = new Set<string>();
  let profile = p.profile;
  let facts = p.facts;
  let pending: Candidate[] = [];
  const apply = (j: RunnableJourney, i: JourneyInput): void => {
    const before = states.get(j.id);
    const t = transition(before, i, { journey: j, profileId: profile.id, facts, traits: profile.traits, traitStrategies: input.traitStrategies });
    if (t.state !== before && t.state) {
      states.set(j.id, t.state);
      changed.add(j.id);
    }
    for (const c of t.commands) {
      if (c.kind === 'candidate') pending.push(c.candidate);
      else if (c.kind === 'record') out.hubEvents.push(record(profile, c));
      else if (c.traits !== profile.traits) {
        profile = { ...profile, traits: c.traits, updatedAt: Math.max(profile.updatedAt, c.at) };
        facts = { ...facts, traits: profile.traits.values };
      }
    }
  };
  // Candidates are decided after each input, so the outcome is the same however events were batched.
  const decide = (): void => {
    for (let round = 0; round < MAX_DECISION_ROUNDS && pending.length > 0; round++) {
      const candidates = pending.filter((c) => states.get(c.journeyId)?.pending?.id === c.id);
      pending = [];
      if (candidates.length === 0) return;
      const outcomes = new Map(input.arbiter(profile, candidates, input.now).map((o) => [o.candidateId, o]));
      for (const c of candidates) {
        const outcome = outcomes.get(c.id) ?? { candidateId: c.id, outcome: 'rejected', rule: 'arbitration:unanswered' };
        out.decisions.push({ candidate: c, outcome });
        const j = ws.byId.get(c.journeyId);
        if (j) apply(j, { kind: 'decided', outcome, at: c.proposedAt });
      }
    }
  };
  for (const e of p.events) {
    const at = Math.min(e.ts, input.now);
    const concerned = new Set<RunnableJourney>(ws.entryEvents.get(e.event));
    for (const id of states.keys()) {
      const j = ws.byId.get(id);
      if (j) concerned.add(j);
    }
    for (const j of concerned) apply(j, { kind: 'event', event: e, at });
    decide();
  }
  for (const id of [...states.keys()]) {
    const j = ws.byId.get(id);
    if (j) apply(j, { kind: 'timer', at: input.now });
  }
  decide();
  if (profile !== p.profile) out.profiles.push(profile);
  for (const [id, state] of states) {
    const j = ws.byId.get(id);
    if (!j) continue;
    const due = dueOf(state, { journey: j, profileId: profile.id, facts });
    // A timer moves too when only what it depends on changed (a date trait, the time zone, the journey's status).
    if (!changed.has(id) && due === p.stored.get(id)?.due) continue;
    out.states.push({ profileId: profile.id, workspaceId: profile.workspaceId, journeyId: id, state, ...(due === undefined ? {} : { due }) });
  }
}

function record(profile: ProfileState, c: Extract<JourneyCommand, { kind: 'record' }>): HubTimelineEvent {
  return { workspaceId: profile.workspaceId, profileId: profile.id, ts: c.at, body: { type: 'track', event: c.event, properties: c.properties } };
}

/** The stats counter a journey record adds to (entered, exited by reason, goal, action outcome, split arm). */
export function statKey(e: HubTimelineEvent): string | undefined {
  const p = e.body.properties;
  switch (e.body.event) {
    case 'Journey Entered':
      return 'entered';
    case 'Journey Exited':
      return `exited:${String(p.reason)}`;
    case 'Journey Goal Reached':
      return 'goal';
    case 'Journey Action':
      return `action:${String(p.outcome)}`;
    case 'Journey Split':
      return `arm:${String(p.step)}:${String(p.arm)}`;
    default:
      return undefined;
  }
}

/** A workspace's journeys indexed for the journey step. */
export function indexJourneys(journeys: readonly RunnableJourney[]): JourneyWorkspace {
  const entryEvents = new Map<string, RunnableJourney[]>();
  for (const j of journeys) {
    const def = j.status === 'live' && j.liveVersion !== undefined ? j.versions.get(j.liveVersion) : undefined;
    if (!def) continue;
    const name = 'segment' in def.entry ? 'Segment Entered' : def.entry.event;
    entryEvents.set(name, [...(entryEvents.get(name) ?? []), j]);
  }
  return { byId: new Map(journeys.map((j) => [j.id, j])), entryEvents };
}
