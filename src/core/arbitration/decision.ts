import { durationMs } from '../conditions/compare.js';
import type { Candidate, CandidateOutcome } from '../journeys/candidate.js';
import type { CandidateTrace, LedgerEntry } from './arbitrate.js';
import type { EngagementByChannel, EngagementRow } from './engagement.js';
import { ContactPolicy } from './policy.js';

/** A workspace's contact policy as deployed: version 0 is the default of a workspace that deployed none. */
export interface PolicyVersion {
  readonly version: number;
  readonly policy: ContactPolicy;
}

/**
 * Until a workspace deploys a policy: consent is honoured when given or refused (no purpose needs an
 * explicit opt-in), no caps, no quiet hours. A deployed policy needs an opt-in for marketing unless it says otherwise.
 */
export const DEFAULT_POLICY: PolicyVersion = { version: 0, policy: ContactPolicy.parse({ optIn: [] }) };

/** What a decision reads of a profile's contacts: its ledger (since the policy's horizon), suppressions and engagement. */
export interface ContactFacts {
  readonly ledger: readonly LedgerEntry[];
  /** Channels on which one of the profile's addresses is suppressed (`*`: all). */
  readonly suppressed: ReadonlySet<string>;
  /** Receipts by channel and local hour (best channel, send time). */
  readonly engagement?: EngagementByChannel;
}

/** Engagement counts to add for one profile (from a batch's receipts). */
export interface EngagementWrite {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly rows: readonly EngagementRow[];
}

/** One decision as stored: every candidate, with why it won or lost, under which policy version. */
export interface DecisionRecord {
  readonly id: string;
  readonly workspaceId: string;
  readonly profileId: string;
  readonly at: number;
  readonly source: 'journey' | 'decide';
  readonly policyVersion: number;
  /** The placement asked for (decision API). */
  readonly placement?: string;
  readonly candidates: readonly { readonly candidate: Candidate; readonly outcome: CandidateOutcome; readonly trace: CandidateTrace }[];
}

/** A ledger entry to write with its decision: `sent` by a journey, `reserved` by the decision API until shown or expired. */
export interface ContactWrite extends LedgerEntry {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly decisionId: string;
  readonly status: 'sent' | 'reserved' | 'shown';
  readonly expiresAt?: number;
}

/** How far back a decision under `policy` looks into the ledger (caps, cool-down, conflict groups, and `extra` windows such as items' caps). */
export function ledgerHorizon(policy: ContactPolicy, extra: readonly number[] = []): number {
  const windows = [
    ...policy.caps.map((c) => durationMs(c.window)),
    ...policy.conflictGroups.map((g) => durationMs(g.window)),
    ...(policy.cooldown ? [durationMs(policy.cooldown.after)] : []),
    ...extra,
  ];
  return windows.reduce((m, w) => Math.max(m, w), 0);
}

/** A profile's contacts together with those of profiles merged into it in the same step (their caps count both). */
export function mergeContacts(own: ContactFacts, merged: readonly ContactFacts[]): ContactFacts {
  if (merged.length === 0) return own;
  const all = [own, ...merged];
  const engagement: Partial<Record<string, { delivered: number; engaged: number; hours: number[] }>> = {};
  for (const c of all) {
    for (const [channel, e] of Object.entries(c.engagement ?? {})) {
      const sum = (engagement[channel] ??= { delivered: 0, engaged: 0, hours: Array.from({ length: 24 }, () => 0) });
      sum.delivered += e.delivered;
      sum.engaged += e.engaged;
      e.hours.forEach((n, h) => (sum.hours[h] = (sum.hours[h] ?? 0) + n));
    }
  }
  return {
    ledger: all.flatMap((c) => c.ledger).sort((a, b) => a.at - b.at),
    suppressed: new Set(all.flatMap((c) => [...c.suppressed])),
    ...(Object.keys(engagement).length === 0 ? {} : { engagement: engagement as EngagementByChannel }),
  };
}
