import type { ConditionFacts } from '../conditions/evaluate.js';
import type { ProfileState } from '../profiles/profile.js';
import type { TraitStrategies } from '../profiles/traits.js';
import type { HubTimelineEvent } from '../segments/batch.js';
import { arbitrate, type LedgerEntry } from '../arbitration/arbitrate.js';
import type { ContactFacts, ContactWrite, DecisionRecord, PolicyVersion } from '../arbitration/decision.js';
import type { OutboxMessage } from '../contributors/outbox.js';
import type { Candidate, CandidateOutcome } from './candidate.js';
import { dueOf, transition } from './machine.js';
import type { JourneyCommand, JourneyEvent, JourneyInput, JourneyState, RunnableJourney } from './state.js';

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
  /** Stored states of profiles merged into this one in this step. */
  readonly mergedIn?: readonly ReadonlyMap<string, StoredJourneyState>[];
  /** What arbitration reads of the profile's contacts (its ledger, suppressions). */
  readonly contact: ContactFacts;
}

export interface StoredJourneyState {
  readonly state: JourneyState;
  readonly due?: number;
}

export interface JourneyStepInput {
  readonly profiles: readonly JourneyProfileInput[];
  readonly journeys: (workspaceId: string) => JourneyWorkspace;
  /** The contact policy each workspace's decisions follow. */
  readonly policy: (workspaceId: string) => PolicyVersion;
  readonly newDecisionId: () => string;
  /** The central decision: `arbitrate`, unless a unit test of the step machine scripts the answers. */
  readonly arbitrate?: typeof arbitrate;
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
  /** Every arbitration of the step, with the trace of each candidate. */
  readonly decisions: readonly DecisionRecord[];
  /** The contacts the decisions sent: the ledger entries to write with them. */
  readonly contacts: readonly ContactWrite[];
  /** The messages they sent, for the outbox. */
  readonly messages: readonly OutboxMessage[];
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
  const out: Outcome = { states: [], hubEvents: [], decisions: [], contacts: [], messages: [], profiles: [] };
  for (const p of input.profiles) new ProfileRun(p, input, out).run();
  return out;
}

type Outcome = { -readonly [K in keyof JourneyOutcome]: JourneyOutcome[K][number][] };

/** One profile's inputs through its journeys in one processing step. */
class ProfileRun {
  private readonly ws: JourneyWorkspace;
  private readonly states: Map<string, JourneyState>;
  private readonly changed = new Set<string>();
  private pending: Candidate[] = [];
  /** The profile's ledger, with what this step's decisions sent. */
  private readonly ledger: LedgerEntry[];
  private profile: ProfileState;
  private facts: ConditionFacts;

  constructor(
    private readonly p: JourneyProfileInput,
    private readonly input: JourneyStepInput,
    private readonly out: Outcome,
  ) {
    this.ws = input.journeys(p.profile.workspaceId);
    this.states = new Map([...p.stored].map(([id, s]) => [id, s.state]));
    this.profile = p.profile;
    this.facts = p.facts;
    this.ledger = [...p.contact.ledger];
    for (const other of p.mergedIn ?? []) for (const [id, s] of other) this.adopt(id, s.state);
  }

  /**
   * A merged-away profile's place in a journey: the survivor takes it when it has none there, or has
   * left while the other is still in; when both are in, the survivor's goes on and the other leaves.
   */
  private adopt(journeyId: string, theirs: JourneyState): void {
    const ours = this.states.get(journeyId);
    if (!ours || (ours.status === 'done' && theirs.status === 'active')) {
      this.states.set(journeyId, theirs);
      this.changed.add(journeyId);
    } else if (theirs.status === 'active') {
      const c = { kind: 'record', event: 'Journey Exited', at: this.input.now, properties: { journeyId, version: theirs.version, step: theirs.step, reason: 'merged' } } as const;
      this.out.hubEvents.push(record(this.profile, c));
    }
  }

  run(): void {
    for (const e of this.p.events) {
      const concerned = new Set<RunnableJourney>(this.ws.entryEvents.get(e.event));
      for (const id of this.states.keys()) {
        const j = this.ws.byId.get(id);
        if (j) concerned.add(j);
      }
      for (const j of concerned) this.apply(j, { kind: 'event', event: e, at: Math.min(e.ts, this.input.now) });
      this.decide();
    }
    for (const id of [...this.states.keys()]) {
      const j = this.ws.byId.get(id);
      if (j) this.apply(j, { kind: 'timer', at: this.input.now });
    }
    this.decide();
    this.finish();
  }

  private apply(j: RunnableJourney, i: JourneyInput): void {
    const before = this.states.get(j.id);
    const t = transition(before, i, { journey: j, profileId: this.profile.id, facts: this.facts, traits: this.profile.traits, traitStrategies: this.input.traitStrategies });
    if (t.state !== before && t.state) {
      this.states.set(j.id, t.state);
      this.changed.add(j.id);
    }
    for (const c of t.commands) {
      if (c.kind === 'candidate') this.pending.push(c.candidate);
      else if (c.kind === 'record') this.out.hubEvents.push(record(this.profile, c));
      else if (c.traits !== this.profile.traits) {
        this.profile = { ...this.profile, traits: c.traits, updatedAt: Math.max(this.profile.updatedAt, c.at) };
        this.facts = { ...this.facts, traits: this.profile.traits.values };
      }
    }
  }

  /** Decides the candidates the last input raised, together; each journey continues on its answer (which may raise more). */
  private decide(): void {
    for (let round = 0; round < MAX_DECISION_ROUNDS && this.pending.length > 0; round++) {
      const candidates = this.pending.filter((c) => this.states.get(c.journeyId)?.pending?.id === c.id);
      this.pending = [];
      if (candidates.length === 0) return;
      const { profile, facts, input } = this;
      const pv = input.policy(profile.workspaceId);
      const { suppressed, engagement } = this.p.contact;
      const arbitrationProfile = { traits: facts.traits, scores: facts.scores, timezone: facts.timezone, suppressed, engagement };
      const d = (input.arbitrate ?? arbitrate)(arbitrationProfile, candidates, pv.policy, this.ledger, input.now);
      const decisionId = input.newDecisionId();
      const decided = candidates.map((candidate, i) => ({ candidate, outcome: { ...(d.outcomes[i] as CandidateOutcome), decisionId }, trace: d.traces[i] as DecisionRecord['candidates'][number]['trace'] }));
      this.out.decisions.push({ id: decisionId, workspaceId: profile.workspaceId, profileId: profile.id, at: input.now, source: 'journey', policyVersion: pv.version, candidates: decided });
      for (const e of d.reserved) {
        this.ledger.push(e);
        this.out.contacts.push({ ...e, workspaceId: profile.workspaceId, profileId: profile.id, decisionId, status: 'sent' });
      }
      for (const { candidate: c, outcome } of decided) {
        if (outcome.outcome === 'sent') this.out.messages.push(this.message(c, outcome.channel ?? c.channel, decisionId));
        const j = this.ws.byId.get(c.journeyId);
        if (j) this.apply(j, { kind: 'decided', outcome, at: c.proposedAt });
      }
    }
  }

  private message(c: Candidate, channel: Candidate['channel'], decisionId: string): OutboxMessage {
    const entry = this.states.get(c.journeyId)?.entry.properties ?? {};
    return {
      key: c.id, workspaceId: c.workspaceId, profileId: c.profileId, channel, ...(c.contributor === undefined ? {} : { contributor: c.contributor }),
      template: c.template, purpose: c.purpose, journeyId: c.journeyId, decisionId,
      context: { event: entry, journey: { id: c.journeyId, version: c.version, step: c.stepId } }, at: this.input.now,
    };
  }

  /** States to write: those that changed, and those whose timer moved because what it depends on did (a date trait, the time zone, the journey's status). */
  private finish(): void {
    const { profile } = this;
    if (profile !== this.p.profile) this.out.profiles.push(profile);
    for (const [id, state] of this.states) {
      const j = this.ws.byId.get(id);
      if (!j) continue;
      const due = dueOf(state, { journey: j, profileId: profile.id, facts: this.facts });
      if (!this.changed.has(id) && due === this.p.stored.get(id)?.due) continue;
      this.out.states.push({ profileId: profile.id, workspaceId: profile.workspaceId, journeyId: id, state, ...(due === undefined ? {} : { due }) });
    }
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
