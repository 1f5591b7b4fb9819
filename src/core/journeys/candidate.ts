import type { ProfileState } from '../profiles/profile.js';
import type { Channel, Purpose } from './definition.js';

/** An action a journey proposes for a profile; arbitration decides whether it goes out. */
export interface Candidate {
  /** Deterministic: journey, profile, entry number, step and instant (replays propose the same ids). */
  readonly id: string;
  readonly workspaceId: string;
  readonly profileId: string;
  readonly journeyId: string;
  readonly version: number;
  readonly stepId: string;
  readonly channel: Channel;
  readonly contributor?: string;
  readonly template: string;
  readonly purpose: Purpose;
  readonly priority: number;
  readonly value: number;
  readonly proposedAt: number;
}

/**
 * What arbitration answered for one candidate. `proposed`: no arbitration ran (the candidate is
 * recorded and the journey moves on as if sent); `rejected` takes the step's `notSent` edge;
 * `deferred` holds the profile at the action until `until`.
 */
export type CandidateOutcome =
  | { readonly candidateId: string; readonly outcome: 'sent' | 'proposed' }
  | { readonly candidateId: string; readonly outcome: 'rejected'; readonly rule: string }
  | { readonly candidateId: string; readonly outcome: 'deferred'; readonly until: number; readonly rule: string };

/**
 * The arbitration port: the candidates one input (an event, or the profile's timers firing) raised
 * across a profile's journeys, decided together, purely, inside the processing step's transaction
 * (so a ledger it reads and writes stays exact); inputs are decided one after another in time order.
 */
export type Arbiter = (profile: ProfileState, candidates: readonly Candidate[], now: number) => readonly CandidateOutcome[];

/** Until central arbitration exists: every candidate is recorded as proposed. */
export const proposeAll: Arbiter = (_profile, candidates) => candidates.map((c) => ({ candidateId: c.id, outcome: 'proposed' as const }));
