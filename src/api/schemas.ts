import { z } from 'zod';

/** Response shapes, documented in the OpenAPI document from the same zod schemas. */
export const Identifier = z.object({ type: z.string(), value: z.string() });

export const Profile = z.object({
  id: z.string().describe('prof_… (a merged-away id answers with its survivor)'),
  identifiers: z.array(Identifier),
  traits: z.record(z.string(), z.unknown()),
  groups: z.array(z.object({ groupId: z.string(), traits: z.record(z.string(), z.unknown()) })),
  mergedFrom: z.array(z.string()).describe('ids of the profiles merged into this one'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime().describe('when identifiers, traits, groups or merges last changed (not every event: see the timeline)'),
});

export const TimelineItem = z.object({
  kind: z.enum(['event', 'hub']).describe('event: received; hub: the hub\'s own (Segment Entered, Segment Exited)'),
  messageId: z.string(),
  type: z.enum(['track', 'identify', 'page', 'screen', 'group', 'alias']),
  event: z.string().optional(),
  name: z.string().optional(),
  category: z.string().optional(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  groupId: z.string().optional(),
  previousId: z.string().optional(),
  timestamp: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  properties: z.record(z.string(), z.unknown()).optional(),
  traits: z.record(z.string(), z.unknown()).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

export const Timeline = z.object({ items: z.array(TimelineItem), nextCursor: z.string().nullable() });

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const Success = z.object({ success: z.literal(true) });

export const Health = z.object({
  status: z.enum(['ok']),
  log: z.object({ head: z.number().int(), processed: z.number().int(), lag: z.number().int() }),
});
