import { z } from 'zod';
import { Condition, Duration, PropertyFilter, Weekday } from '../conditions/schema.js';

/**
 * A journey (key experience) as its owners write it: in a file (journeys as code) or over the admin
 * API. Data, never code; validated by this schema, then as a graph (see `graph.ts`).
 */

const Name = z.string().trim().min(1).max(200);
const StepId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
export const JourneyId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 lower-case letters, digits, _ or -, starting with a letter or digit');
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
const EventName = z.string().min(1).max(256);

/** An event with property filters (the operators of the condition language). */
export const JourneyEventMatch = z.strictObject({ event: EventName, where: z.array(PropertyFilter).max(20).optional() });
export type JourneyEventMatch = z.infer<typeof JourneyEventMatch>;

export const Entry = z.union([
  JourneyEventMatch.describe('enter when the profile performs this event'),
  z.strictObject({ segment: z.string().min(1).max(256).describe('enter when the profile enters this segment') }),
]);
export type Entry = z.infer<typeof Entry>;

export const Reentry = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('once') }),
  z.strictObject({ mode: z.literal('cooldown'), after: Duration }),
  z.strictObject({ mode: z.literal('always') }),
]);
export type Reentry = z.infer<typeof Reentry>;

export const Goal = z
  .strictObject({ event: JourneyEventMatch.optional(), condition: Condition.optional(), within: Duration })
  .refine((g) => (g.event === undefined) !== (g.condition === undefined), { message: 'a goal has exactly one of event or condition' });
export type Goal = z.infer<typeof Goal>;

export const ExitCriteria = z
  .strictObject({ events: z.array(JourneyEventMatch).min(1).max(20).optional(), condition: Condition.optional() })
  .refine((x) => x.events !== undefined || x.condition !== undefined, { message: 'exit criteria need events or a condition' });
export type ExitCriteria = z.infer<typeof ExitCriteria>;

const next = StepId;
const scalar = z.union([z.string().max(1024), z.number().finite(), z.boolean(), z.null()]);

export const Channel = z.enum(['email', 'sms', 'push', 'inApp', 'webhook']);
export type Channel = z.infer<typeof Channel>;
export const Purpose = z.enum(['marketing', 'transactional', 'service']);
export type Purpose = z.infer<typeof Purpose>;

const WaitStep = z
  .strictObject({
    kind: z.literal('wait'),
    for: Duration.optional(),
    untilLocalTime: z.strictObject({ time: Clock, days: z.array(Weekday).min(1).optional() }).optional(),
    untilTrait: z.strictObject({ trait: z.string().min(1).max(256), before: Duration.optional(), after: Duration.optional() }).optional(),
    next,
  })
  .refine((w) => [w.for, w.untilLocalTime, w.untilTrait].filter((x) => x !== undefined).length === 1, {
    message: 'a wait has exactly one of for, untilLocalTime or untilTrait',
  });

const WaitForStep = z.strictObject({
  kind: z.literal('waitFor'),
  event: EventName,
  where: z.array(PropertyFilter).max(20).optional(),
  /** Properties that must equal the entry event's (e.g. the same `cartId`). */
  sameAsEntry: z.array(z.string().min(1).max(256)).max(5).optional(),
  timeout: Duration,
  next,
  onTimeout: next,
});

const BranchStep = z.strictObject({
  kind: z.literal('branch'),
  branches: z.array(z.strictObject({ condition: Condition, next })).min(1).max(20),
  default: next,
});

const SplitStep = z.strictObject({
  kind: z.literal('split'),
  arms: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), weight: z.number().int().min(1).max(10_000), next })).min(1).max(10),
  /** Weight of a holdout that leaves the journey (and is still measured against its goal). */
  holdout: z.number().int().min(1).max(10_000).optional(),
});

const ActionStep = z
  .strictObject({
    kind: z.literal('action'),
    channel: Channel.optional().describe('the channel (or give channels, not both)'),
    channels: z
      .array(Channel)
      .min(1)
      .max(5)
      .refine((cs) => new Set(cs).size === cs.length, { message: 'lists each channel once' })
      .optional()
      .describe('the channels allowed, in order of preference: arbitration sends on the one the profile engages with most (or give channel, not both)'),
    /** Send at the profile's best local hour (most engagements on the channel) when it comes within `within`; else at once. */
    sendTime: z.strictObject({ within: Duration }).optional().describe("send at the profile's best local hour when it comes within this duration"),
    contributor: z.string().min(1).max(128).optional(),
    template: z.string().min(1).max(256),
    purpose: Purpose.default('marketing'),
    priority: z.number().int().min(0).max(100).default(50),
    value: z.number().finite().min(0).default(1),
    next,
    /** Where to go when arbitration does not send it; without one the profile moves on to `next`. */
    notSent: next.optional(),
  })
  .superRefine((a, ctx) => {
    if ((a.channel === undefined) === (a.channels === undefined)) {
      const both = a.channel !== undefined;
      ctx.addIssue({ code: 'custom', path: [both ? 'channels' : 'channel'], message: both ? 'give channel or channels, not both' : 'an action needs a channel (or channels)' });
    }
  });

/** The channels an action step allows, in its order (the first is its first choice). */
export function channelsOf(step: { readonly channel?: Channel | undefined; readonly channels?: readonly Channel[] | undefined }): Channel[] {
  return step.channels ? [...step.channels] : step.channel ? [step.channel] : [];
}

const UpdateStep = z
  .strictObject({
    kind: z.literal('update'),
    set: z.record(z.string().min(1).max(256), scalar).optional(),
    increment: z.record(z.string().min(1).max(256), z.number().finite()).optional(),
    next,
  })
  .refine((u) => Object.keys(u.set ?? {}).length + Object.keys(u.increment ?? {}).length > 0, { message: 'an update sets or increments at least one trait' });

const GoalStep = z.strictObject({ kind: z.literal('goal'), next: next.optional() });
const ExitStep = z.strictObject({ kind: z.literal('exit') });

export const Step = z.discriminatedUnion('kind', [WaitStep, WaitForStep, BranchStep, SplitStep, ActionStep, UpdateStep, GoalStep, ExitStep]);
export type Step = z.infer<typeof Step>;
export type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>;
export const STEP_KINDS = ['wait', 'waitFor', 'branch', 'split', 'action', 'update', 'goal', 'exit'] as const;

/** A journey definition: what a file or an admin request holds. */
export const JourneyDefinition = z.strictObject({
  id: JourneyId,
  name: Name,
  description: z.string().max(2000).optional(),
  owner: z.string().trim().min(1).max(200),
  team: z.string().trim().min(1).max(200),
  goal: Goal.optional(),
  entry: Entry,
  reentry: Reentry.default({ mode: 'once' }),
  exit: ExitCriteria.optional(),
  start: StepId,
  steps: z.record(StepId, Step).refine((s) => Object.keys(s).length <= 200, { message: 'at most 200 steps' }),
});
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;
/** What a file or request may leave out (defaults filled in by the schema). */
export type JourneyDefinitionInput = z.input<typeof JourneyDefinition>;

export const JourneyStatus = z.enum(['draft', 'live', 'paused', 'archived']);
export type JourneyStatus = z.infer<typeof JourneyStatus>;

/** The steps a profile can stay at between processing steps: they hold a timer. */
export const WAITING_KINDS: ReadonlySet<Step['kind']> = new Set(['wait', 'waitFor']);
