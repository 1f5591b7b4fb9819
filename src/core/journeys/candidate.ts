import type { Duration } from '../conditions/schema.js';
import type { Channel, Purpose } from './definition.js';

/** At most `limit` contacts of one catalogue item per profile in a rolling `window`. */
export interface ItemCap {
  readonly limit: number;
  readonly window: Duration;
}

/** An action a journey proposes for a profile; arbitration decides whether it goes out. */
export interface Candidate {
  /** Deterministic: journey, profile, entry number, step and instant (replays propose the same ids). */
  readonly id: string;
  readonly workspaceId: string;
  readonly profileId: string;
  readonly journeyId: string;
  readonly version: number;
  readonly stepId: string;
  /** The first choice of channel; `alternatives` are the others the step allows, in the journey's order. */
  readonly channel: Channel;
  readonly alternatives?: readonly Channel[];
  /** Send at the profile's historically best hour when it comes within this many ms (else now). */
  readonly sendWithin?: number;
  /** A catalogue item (decision API): its id and its own caps per profile. */
  readonly item?: { readonly id: string; readonly caps: readonly ItemCap[] };
  readonly contributor?: string;
  readonly template: string;
  readonly purpose: Purpose;
  readonly priority: number;
  readonly value: number;
  readonly proposedAt: number;
}

/**
 * What arbitration answered for one candidate, in the decision `decisionId`: `sent` (on `channel`)
 * goes on to the step's `next`; `rejected` takes its `notSent` edge; `deferred` holds the profile at
 * the action until `until`, when it is proposed again.
 */
export type CandidateOutcome = { readonly candidateId: string; readonly decisionId?: string } & (
  | { readonly outcome: 'sent'; readonly channel?: Channel }
  | { readonly outcome: 'rejected'; readonly rule: string }
  | { readonly outcome: 'deferred'; readonly until: number; readonly rule: string }
);
