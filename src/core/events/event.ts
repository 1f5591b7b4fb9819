import { z } from 'zod';

/** The six Segment spec call types. */
export const EventType = z.enum(['track', 'identify', 'page', 'screen', 'group', 'alias']);
export type EventType = z.infer<typeof EventType>;

const isoTimestamp = z
  .string()
  .max(64)
  .refine((s) => ISO_8601.test(s) && isCalendarDay(s) && !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date-time' });
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Date.parse rolls a day past the end of its month over (2023-02-29 → March 1st); such a date is refused. */
function isCalendarDay(s: string): boolean {
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return days !== undefined && d >= 1 && d <= days;
}

/** Segment ids are strings; numbers are accepted and stringified, as Segment does. null means "absent". */
const id = z
  .union([z.string().max(1024), z.number().finite()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v)));

const record = z.record(z.string(), z.unknown());
/** `properties` / `traits`: RudderStack's browser SDK sends `null` for "none"; null means absent. */
const fields = record.nullish().transform((v) => v ?? undefined);

const common = {
  messageId: z.string().min(1).max(512).optional(),
  userId: id,
  anonymousId: id,
  context: record.optional(),
  integrations: record.optional(),
  timestamp: isoTimestamp.optional(),
  originalTimestamp: isoTimestamp.optional(),
  sentAt: isoTimestamp.optional(),
  channel: z.string().max(64).optional(),
  version: z.union([z.number(), z.string()]).optional(),
  writeKey: z.string().optional(),
};

export const TrackCall = z.looseObject({
  ...common,
  type: z.literal('track'),
  event: z.string().min(1, 'must be a non-empty string').max(512),
  properties: fields,
});
export const IdentifyCall = z.looseObject({ ...common, type: z.literal('identify'), traits: fields });
export const PageCall = z.looseObject({
  ...common,
  type: z.literal('page'),
  name: z.string().max(512).nullish(),
  category: z.string().max(512).nullish(),
  properties: fields,
});
export const ScreenCall = z.looseObject({
  ...common,
  type: z.literal('screen'),
  name: z.string().max(512).nullish(),
  category: z.string().max(512).nullish(),
  properties: fields,
});
export const GroupCall = z.looseObject({
  ...common,
  type: z.literal('group'),
  groupId: z.union([z.string().min(1).max(1024), z.number().finite()]).transform(String),
  traits: fields,
});
export const AliasCall = z.looseObject({
  ...common,
  type: z.literal('alias'),
  previousId: z.union([z.string().min(1).max(1024), z.number().finite()]).transform(String),
});

/** A call as a client sends it (Segment HTTP API spec). */
export const SegmentCall = z.discriminatedUnion('type', [TrackCall, IdentifyCall, PageCall, ScreenCall, GroupCall, AliasCall]);
export type SegmentCall = z.infer<typeof SegmentCall>;

export const BatchRequest = z.looseObject({
  batch: z.array(z.unknown()).max(10_000),
  context: record.optional(),
  integrations: record.optional(),
  sentAt: isoTimestamp.optional(),
  writeKey: z.string().optional(),
});

/** An event as the hub stores it in the log: normalised, with the hub's own timestamps (epoch ms). */
export interface HubEvent {
  readonly v: 1;
  readonly type: EventType;
  readonly messageId: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly event?: string;
  readonly name?: string;
  readonly category?: string;
  readonly groupId?: string;
  readonly previousId?: string;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly traits?: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly integrations?: Readonly<Record<string, unknown>>;
  /** Event time after clock-skew correction (ISO 8601 UTC). */
  readonly timestamp: string;
  readonly originalTimestamp?: string;
  readonly sentAt?: string;
  readonly receivedAt: string;
}

/** An event once appended to the log: its position and workspace. */
export interface LoggedEvent {
  readonly seq: number;
  readonly workspaceId: string;
  readonly event: HubEvent;
}
