import { z } from 'zod';
import { ledgerHorizon } from '../core/arbitration/decision.js';
import type { ConditionFacts } from '../core/conditions/evaluate.js';
import { decideContent } from '../core/content/decide.js';
import type { Identifier } from '../core/identity/identifier.js';
import type { ProfileState } from '../core/profiles/profile.js';
import { conditionFacts } from '../core/segments/batch.js';
import type { ContactSubject } from '../ports/decisions.js';
import type { ProfileView } from '../ports/profile-reader.js';
import type { Hub } from './hub.js';
import { monotonicId } from './ids.js';
import { visitorProfile } from './visitor.js';

/** Segment ids are strings; numbers are accepted and stringified, as Segment does. */
const VisitorId = z.union([z.string().min(1).max(1024), z.number().finite()]).transform(String);

/** `POST /v1/decide`: who (Segment's `userId` / `anonymousId`, at least one), where, how many. */
export const DecideRequest = z
  .strictObject({
    userId: VisitorId.optional(),
    anonymousId: VisitorId.optional(),
    placement: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-'),
    limit: z.number().int().min(1).max(20).default(1).describe('at most this many items (default 1)'),
    context: z.record(z.string(), z.unknown()).optional().describe("Segment's context object: accepted, not read (the condition language has no place for a request's context yet)"),
    writeKey: z.string().optional().describe('when not sent as HTTP Basic'),
  })
  .superRefine((r, ctx) => {
    if (r.userId === undefined && r.anonymousId === undefined) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
  });
export type DecideRequest = z.output<typeof DecideRequest>;

export interface DecidedItem {
  readonly id: string;
  readonly placement: string;
  readonly content: unknown;
  readonly rank: number;
  readonly score: number;
}

export interface DecideAnswer {
  readonly decisionId: string;
  /** Best first; empty when nothing is eligible (the decision and its trace are stored all the same). */
  readonly items: readonly DecidedItem[];
}

type DecideHub = Pick<Hub, 'store' | 'clock' | 'policies' | 'audienceDefinitions' | 'content'>;

/** Whose decision: a known profile, or an unknown visitor with a key of its own. */
interface Visitor {
  readonly subject: ContactSubject;
  readonly profile?: ProfileView;
}

/**
 * The decision API: the visitor's profile and facts are read, then the ledger is read, the items
 * decided, and the decision with its reserved contacts written, in one write transaction (so caps
 * hold exactly under concurrent requests). The answered items' contacts are `reserved` until the app
 * reports them shown, or until `policy.reservation` has passed.
 */
export async function decide(hub: DecideHub, workspaceId: string, req: DecideRequest): Promise<DecideAnswer> {
  await Promise.all([hub.policies.prepare(), hub.audienceDefinitions.prepare()]);
  const placement = await hub.content.placement(workspaceId, req.placement);
  const visitor = await resolveVisitor(hub, workspaceId, req);
  const now = hub.clock.now();
  const facts = await factsOf(hub, workspaceId, visitor, now);
  const policy = hub.policies.of(workspaceId);
  const decisionId = monotonicId('dec', now);
  const since = now - ledgerHorizon(policy.policy, [placement.horizon]);
  const chosen = await hub.store.ledger.decide(visitor.subject, { since, now }, (contact) => {
    const d = decideContent({
      decisionId, workspaceId, subjectId: visitor.subject.id, placement: req.placement, limit: req.limit, items: placement.items, facts, contact, policy, now,
    });
    return { decision: d.decision, contacts: d.contacts, answer: d.chosen };
  });
  return { decisionId, items: chosen.map(({ item, rank, score }) => ({ id: item.id, placement: item.placement, content: item.content, rank, score })) };
}

/**
 * A known visitor is its profile (by userId, else anonymousId). An unknown one is decided for with no
 * traits, under the key `anon:<workspace>:<anonymousId>` (or `user:<workspace>:<userId>`): its ledger
 * (caps, reservations) and decisions stay under that key, and do not carry over to the profile its
 * events later create. The workspace is in the key because the ledger is keyed by subject alone.
 */
async function resolveVisitor(hub: DecideHub, workspaceId: string, req: DecideRequest): Promise<Visitor> {
  const profile = await visitorProfile(hub, workspaceId, req);
  if (profile) return { subject: { id: profile.id, workspaceId, identifiers: profile.identifiers }, profile };
  const ids: Identifier[] = [];
  if (req.userId !== undefined) ids.push({ type: 'userId', value: req.userId });
  if (req.anonymousId !== undefined) ids.push({ type: 'anonymousId', value: req.anonymousId });
  const key = req.anonymousId !== undefined ? `anon:${workspaceId}:${req.anonymousId}` : `user:${workspaceId}:${req.userId as string}`;
  return { subject: { id: key, workspaceId, identifiers: ids } };
}

/** What item conditions read: as journeys see the profile (traits, computed traits, events, segments, context signals), and its groups' traits. */
async function factsOf(hub: DecideHub, workspaceId: string, visitor: Visitor, now: number): Promise<ConditionFacts> {
  const p = visitor.profile;
  const audience = p ? await hub.store.audiences.audienceOf(p.id) : undefined;
  const defs = hub.audienceDefinitions.input(now);
  const state: ProfileState = {
    id: visitor.subject.id, workspaceId, identifiers: visitor.subject.identifiers, traits: { values: p?.traits ?? {}, stamps: {} },
    groups: p?.groups.map((g) => g.groupId) ?? [], mergedFrom: p?.mergedFrom ?? [], createdAt: now, updatedAt: now,
  };
  const facts = conditionFacts(state, audience, defs.definitions(workspaceId), defs.context(workspaceId), now);
  return p && p.groups.length > 0 ? { ...facts, groupTraits: p.groups.map((g) => g.traits) } : facts;
}

/** `POST /v1/decisions/{id}/shown`: the items of a decision the app showed. */
export const ShownRequest = z.strictObject({
  items: z.array(z.string().min(1).max(64)).min(1).max(20).describe('ids of the decision\'s items that were shown'),
  writeKey: z.string().optional().describe('when not sent as HTTP Basic'),
});

/** Marks a decision's reserved items shown (they count for good); undefined when the workspace has no such decision. */
export async function markShown(hub: Pick<Hub, 'store' | 'clock'>, workspaceId: string, decisionId: string, items: readonly string[]): Promise<number | undefined> {
  const n = await hub.store.ledger.shown(workspaceId, decisionId, [...new Set(items)], hub.clock.now());
  if (n > 0) return n;
  return (await hub.store.decisions.get(workspaceId, decisionId)) ? 0 : undefined;
}
