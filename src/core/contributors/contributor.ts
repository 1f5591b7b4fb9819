import { z } from 'zod';
import { Duration } from '../conditions/schema.js';
import { Channel } from '../journeys/definition.js';

/** The roles of a customer-experience supply chain (DESIGN §2). */
export const ContributorRole = z.enum(['experienceDesigner', 'engagementEnhancer', 'introductionSpecialist', 'capabilityContributor', 'experienceConnector']);
export const ContributorKind = z.enum(['email', 'sms', 'webhook', 'inApp', 'partner']);
/** How the hub reaches it: the channel adapter. Built in: `mailbox` (capture, for local development) and `inbox` (in-app messages the app fetches). */
export const Provider = z.enum(['smtp', 'jsonSms', 'twilio', 'webhook', 'mailbox', 'inbox']);
export type Provider = z.infer<typeof Provider>;

/**
 * A contributor: who delivers (a channel provider, a partner's webhook) with its role, the channels
 * it serves, how fast it may be called, the delivery delay it promises (SLA), its settings and
 * credentials. Credentials are stored encrypted and never returned by the API.
 */
export const Contributor = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1–63 lower-case letters, digits or -'),
  name: z.string().trim().min(1).max(200),
  role: ContributorRole,
  kind: ContributorKind,
  provider: Provider,
  /** Channels it delivers on (its capabilities); `default: true` makes it the one for them unless a step names another. */
  channels: z.array(Channel).min(1).max(5),
  default: z.boolean().default(false),
  capabilities: z.array(z.string().min(1).max(64)).max(50).default([]),
  /** Messages per second at most (token bucket), and at once. */
  rateLimit: z.strictObject({ perSecond: z.number().positive().max(100_000) }).optional(),
  concurrency: z.number().int().min(1).max(256).default(4),
  sla: z.strictObject({ maxDelay: Duration }).optional(),
  /** Non-secret settings of the provider (host, from, url, …). */
  settings: z.record(z.string(), z.unknown()).default({}),
  /** Secrets (password, token, webhook secrets): write-only. */
  credentials: z.record(z.string(), z.unknown()).optional(),
});
export type Contributor = z.infer<typeof Contributor>;
export type ContributorInput = z.input<typeof Contributor>;

/** The built-in capture contributor: e-mail and SMS land in the local mailbox when no other is set up. */
export const MAILBOX: Contributor = Contributor.parse({
  id: 'mailbox', name: 'Local mailbox', role: 'capabilityContributor', kind: 'email', provider: 'mailbox', channels: ['email', 'sms'],
});

/** The built-in in-app inbox: in-app messages wait there until the app fetches them (`GET /v1/inbox`). */
export const INBOX: Contributor = Contributor.parse({
  id: 'inbox', name: 'In-app inbox', role: 'engagementEnhancer', kind: 'inApp', provider: 'inbox', channels: ['inApp'],
});

/** The built-in contributors, taking a channel when no contributor of the workspace is its default. */
export const BUILT_IN: readonly Contributor[] = [MAILBOX, INBOX];

/** Which contributor delivers a message: the one the step names, else the default for the channel, else a built-in one (mailbox, inbox). */
export function contributorFor(channel: Channel, named: string | undefined, all: readonly Contributor[]): Contributor | undefined {
  if (named !== undefined) return all.find((c) => c.id === named) ?? BUILT_IN.find((c) => c.id === named);
  return all.find((c) => c.default && c.channels.includes(channel)) ?? BUILT_IN.find((c) => c.channels.includes(channel));
}
