import type { ConditionFacts } from '../conditions/evaluate.js';
import type { TraitSet, TraitStrategies } from '../profiles/traits.js';
import type { Candidate, CandidateOutcome } from './candidate.js';
import type { JourneyDefinition, JourneyStatus } from './definition.js';

/** The step machine's state, inputs and commands (machine.ts runs them). */

export type ExitReason = 'completed' | 'exitEvent' | 'exitCondition' | 'holdout' | 'archived' | 'merged';

/** A profile's place in one journey (one row per profile and journey; re-entry starts a new entry in it). */
export interface JourneyState {
  readonly version: number;
  readonly status: 'active' | 'done';
  /** The step the profile is at (a wait, a waitFor or an action awaiting its decision), or left from. */
  readonly step: string;
  readonly since: number;
  readonly enteredAt: number;
  /** How many times the profile entered. */
  readonly entries: number;
  /** The entry event, with the properties later steps compare to (`sameAsEntry`). */
  readonly entry: { readonly messageId: string; readonly properties: Readonly<Record<string, unknown>> };
  readonly goalAt?: number;
  readonly exitedAt?: number;
  readonly exitReason?: ExitReason;
  /** Split step → arm (or `holdout`). */
  readonly arms?: Readonly<Record<string, string>>;
  /** An action step's candidate awaiting arbitration; with `deferredUntil` when arbitration deferred it. */
  readonly pending?: Candidate;
  readonly deferredUntil?: number;
}

/** A journey as the machine runs it: its status, live version and every version profiles may be on. */
export interface RunnableJourney {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly status: JourneyStatus;
  readonly liveVersion?: number;
  readonly versions: ReadonlyMap<number, JourneyDefinition>;
  /** When it was last resumed after a pause: nothing happens as of an instant inside the pause. */
  readonly resumedAt?: number;
}

/** An event as journeys see it (batch events and the hub's own, e.g. `Segment Entered`). */
export interface JourneyEvent {
  readonly event: string;
  readonly ts: number;
  readonly messageId: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export type JourneyInput =
  | { readonly kind: 'event'; readonly event: JourneyEvent; readonly at: number }
  | { readonly kind: 'timer'; readonly at: number }
  | { readonly kind: 'decided'; readonly outcome: CandidateOutcome; readonly at: number };

export type RecordName = 'Journey Entered' | 'Journey Exited' | 'Journey Goal Reached' | 'Journey Action' | 'Journey Split';

export type JourneyCommand =
  | { readonly kind: 'record'; readonly event: RecordName; readonly at: number; readonly properties: Readonly<Record<string, unknown>> }
  | { readonly kind: 'candidate'; readonly candidate: Candidate }
  | { readonly kind: 'update'; readonly stepId: string; readonly at: number; readonly set: Readonly<Record<string, unknown>>; readonly increment: Readonly<Record<string, number>>; readonly traits: TraitSet };

export interface MachineContext {
  readonly journey: RunnableJourney;
  readonly profileId: string;
  readonly facts: ConditionFacts;
  /** The profile's traits with their stamps, and how they merge: `update` steps write like any event (default: `facts.traits`, no stamps). */
  readonly traits?: TraitSet;
  readonly traitStrategies?: TraitStrategies;
}

export interface Transition {
  readonly state: JourneyState | undefined;
  readonly commands: readonly JourneyCommand[];
}
