import type { Contributor } from '../core/contributors/contributor.js';
import type { OutboxMessage } from '../core/contributors/outbox.js';
import type { Template } from '../core/templates/template.js';

export interface OutboxRow {
  readonly message: OutboxMessage;
  readonly status: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  readonly nextAt?: number;
  readonly lastError?: string;
  readonly doneAt?: number;
}

/** The messages of one workspace's channel and named contributor (none: the channel's default one): what picks the contributor that delivers them. */
export interface OutboxGroup {
  readonly workspaceId: string;
  readonly channel: string;
  readonly contributor?: string;
}

/** The outbox: written by processing (in the decision's transaction), worked by the dispatcher. */
export interface OutboxStore {
  /** Pending messages due by `now`, oldest first, leaving out `skip` (those in flight or waiting) and the messages of the groups `passOver`. */
  due(now: number, limit: number, skip: ReadonlySet<string>, passOver?: readonly OutboxGroup[]): Promise<readonly OutboxRow[]>;
  nextDue(): Promise<number | undefined>;
  delivered(key: string, now: number): Promise<void>;
  /** A failed attempt: tried again at `nextAt`, or dead (the dead-letter queue) when undefined. */
  failed(key: string, attempts: number, error: string, nextAt: number | undefined, now: number): Promise<void>;
  dead(workspaceId: string, limit: number): Promise<readonly OutboxRow[]>;
  /** Dead messages back to pending, due now (one, or all of the workspace); answers how many. */
  retry(workspaceId: string, key: string | undefined, now: number): Promise<number>;
  drop(workspaceId: string, key: string | undefined): Promise<number>;
  get(workspaceId: string, key: string): Promise<OutboxRow | undefined>;
  /** Pending messages by the contributor their step named (none: the channel's default) and channel. */
  depth(workspaceId: string): Promise<readonly { readonly contributor?: string; readonly channel: string; readonly pending: number; readonly oldest: number }[]>;
}

export interface StoredContributor {
  readonly contributor: Omit<Contributor, 'credentials'>;
  /** Encrypted credentials, as stored. */
  readonly sealed?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ContributorHealth {
  readonly attempts: number;
  readonly failures: number;
  readonly lastSuccessAt?: number;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
}

export interface ContributorStore {
  list(workspaceId: string): Promise<readonly StoredContributor[]>;
  get(workspaceId: string, id: string): Promise<StoredContributor | undefined>;
  /** `sealed` undefined keeps the stored credentials. */
  put(workspaceId: string, contributor: Omit<Contributor, 'credentials'>, sealed: string | undefined, now: number): Promise<StoredContributor>;
  remove(workspaceId: string, id: string): Promise<boolean>;
  health(workspaceId: string): Promise<ReadonlyMap<string, ContributorHealth>>;
  recordAttempt(workspaceId: string, contributor: string, error: string | undefined, now: number): Promise<void>;
}

export interface MailboxMessage {
  readonly key: string;
  readonly channel: string;
  readonly to: string;
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly at: number;
}

/** The built-in capture contributor's mailbox (local development: no SMTP or SMS provider needed). */
export interface MailboxStore {
  put(workspaceId: string, m: MailboxMessage): Promise<void>;
  list(workspaceId: string, opts: { readonly to?: string; readonly limit: number }): Promise<readonly MailboxMessage[]>;
}

export interface TemplateStore {
  list(workspaceId: string): Promise<readonly Template[]>;
  get(workspaceId: string, id: string): Promise<Template | undefined>;
  put(workspaceId: string, t: Template, now: number): Promise<void>;
  remove(workspaceId: string, id: string): Promise<boolean>;
}

export interface InboxMessage {
  readonly key: string;
  readonly profileId: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly status: 'unread' | 'read' | 'dismissed';
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** In-app messages per profile, fetched by the app. */
export interface InboxStore {
  /** A profile's messages not dismissed, newest first. */
  list(workspaceId: string, profileId: string, limit: number): Promise<readonly InboxMessage[]>;
  get(workspaceId: string, key: string): Promise<InboxMessage | undefined>;
  /** Answers whether the profile has that message. */
  mark(workspaceId: string, profileId: string, key: string, status: 'read' | 'dismissed', now: number): Promise<boolean>;
}
