import type { ContactPolicy } from '../core/arbitration/policy.js';
import type { ContactFacts, ContactWrite, DecisionRecord } from '../core/arbitration/decision.js';
import type { Identifier } from '../core/identity/identifier.js';
import type { Suppression } from '../core/arbitration/suppression.js';

export interface StoredPolicy {
  readonly workspaceId: string;
  readonly version: number;
  readonly policy: ContactPolicy;
  readonly createdAt: number;
}

/** Contact policies, versioned per workspace: deploying makes a new version; the latest is in force. */
export interface PolicyStore {
  current(workspaceId: string): Promise<StoredPolicy | undefined>;
  /** Every workspace's policy in force. */
  allCurrent(): Promise<readonly StoredPolicy[]>;
  versions(workspaceId: string): Promise<readonly StoredPolicy[]>;
  version(workspaceId: string, version: number): Promise<StoredPolicy | undefined>;
  deploy(workspaceId: string, policy: ContactPolicy, now: number): Promise<StoredPolicy>;
}

/** A page of a profile's decisions, newest first; `next` continues it. */
export interface DecisionPage {
  readonly decisions: readonly DecisionRecord[];
  readonly next?: string;
}

export interface DecisionReader {
  get(workspaceId: string, id: string): Promise<DecisionRecord | undefined>;
  ofProfile(workspaceId: string, profileId: string, opts: { readonly cursor?: string; readonly limit: number }): Promise<DecisionPage>;
  /** Whether `cursor` is one `ofProfile` returned (its shape). */
  isCursor(cursor: string): boolean;
}

/** Suppression lists per workspace. */
export interface SuppressionStore {
  list(workspaceId: string, opts: { readonly cursor?: string; readonly limit: number }): Promise<{ readonly entries: readonly (Suppression & { readonly createdAt: number })[]; readonly next?: string }>;
  add(workspaceId: string, s: Suppression, now: number): Promise<void>;
  /** Answers whether it was there. */
  remove(workspaceId: string, s: Pick<Suppression, 'type' | 'value' | 'channel'>): Promise<boolean>;
}

/** Whose contacts: a profile (or, for an unknown visitor, a key of its own) with its identifiers. */
export interface ContactSubject {
  readonly id: string;
  readonly workspaceId: string;
  readonly identifiers: readonly Identifier[];
}

/** The decision API's transaction: read the ledger, decide, write the decision and its contacts, atomically. */
export interface ContactLedger {
  /**
   * Runs `decide` on the subject's contacts (its ledger after `since`, without reservations expired by
   * `now`; its suppressions) and writes the decision and contacts it answers, in one transaction.
   */
  decide<T>(
    subject: ContactSubject,
    window: { readonly since: number; readonly now: number },
    decide: (contact: ContactFacts) => { readonly decision: DecisionRecord; readonly contacts: readonly ContactWrite[]; readonly answer: T },
  ): Promise<T>;
  /** Marks the reserved contacts of a decision as shown (they count for good); answers how many. */
  shown(workspaceId: string, decisionId: string, items: readonly string[], now: number): Promise<number>;
  /** Deletes (up to `limit` each) a workspace's decisions and contacts older than given instants, and reservations expired by `now`; answers how many rows went. */
  expire(workspaceId: string, decisionsBefore: number, contactsBefore: number, now: number, limit: number): Promise<number>;
}
