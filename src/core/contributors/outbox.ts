import type { Channel, Purpose } from '../journeys/definition.js';

/**
 * A decided action waiting for delivery (DESIGN §2, Outbox): written in the decision's transaction,
 * delivered by the dispatcher. `key` is its idempotency key (the candidate's id: the same action
 * keeps it across retries and restarts).
 */
export interface OutboxMessage {
  readonly key: string;
  readonly workspaceId: string;
  readonly profileId: string;
  readonly channel: Channel;
  /** The contributor the step names; else the channel's default one is used. */
  readonly contributor?: string;
  readonly template: string;
  readonly purpose: Purpose;
  readonly journeyId: string;
  readonly decisionId: string;
  /** What templates read besides the profile: the entry event's properties and the journey. */
  readonly context: {
    readonly event: Readonly<Record<string, unknown>>;
    readonly journey: { readonly id: string; readonly version: number; readonly step: string };
  };
  readonly at: number;
}
