import { z } from 'zod';
import { err, ok, type FieldError, type Result } from '../result.js';
import { zodErrors } from './validate.js';

/**
 * A workspace's tracking plan: for each event name, the properties it carries. Opt-in (as Segment
 * Protocols): a workspace without any event schema is not checked; once it has one, journeys may
 * name only declared events and properties (see `journeys/event-references.ts`).
 */

export const EventSchemaName = z.string().min(1, 'must be 1–256 characters').max(256, 'must be 1–256 characters');

export const PropertyType = z.enum(['string', 'number', 'boolean', 'object', 'array', 'date']);
export type PropertyType = z.infer<typeof PropertyType>;

export const PropertySchema = z.strictObject({
  type: PropertyType,
  required: z.boolean().optional(),
  description: z.string().max(2000).optional(),
});
export type PropertySchema = z.infer<typeof PropertySchema>;

/** The body of `PUT /v1/event-schemas/{event}`: the event's properties (top-level names; a dotted path reads inside an object). */
export const EventSchemaInput = z.strictObject({
  description: z.string().max(2000).optional(),
  properties: z
    .record(z.string().min(1).max(256), PropertySchema)
    .refine((p) => Object.keys(p).length <= 500, { message: 'at most 500 properties' }),
});
export type EventSchemaInput = z.infer<typeof EventSchemaInput>;

/** An event schema as stored: the input with the version of this format. */
export interface EventSchemaBody extends EventSchemaInput {
  readonly schemaVersion: 1;
}

/** Validates an event name (from the URL) and a schema body; errors name `event` or the body's field. */
export function parseEventSchema(event: unknown, input: unknown): Result<{ readonly event: string; readonly body: EventSchemaBody }, FieldError[]> {
  const name = EventSchemaName.safeParse(event);
  const body = EventSchemaInput.safeParse(input);
  if (!name.success || !body.success) {
    return err([...(name.success ? [] : zodErrors(name.error, 'event')), ...(body.success ? [] : zodErrors(body.error, ''))]);
  }
  return ok({ event: name.data, body: { schemaVersion: 1, ...body.data } });
}

/** Event name → the properties it declares: what journeys are checked against. */
export type EventCatalogue = ReadonlyMap<string, { readonly properties: ReadonlySet<string> }>;

/** The catalogue of a workspace's schemas; undefined when it has none (then nothing is checked). */
export function eventCatalogue(schemas: readonly { readonly event: string; readonly body: EventSchemaInput }[]): EventCatalogue | undefined {
  if (schemas.length === 0) return undefined;
  return new Map(schemas.map((s) => [s.event, { properties: new Set(Object.keys(s.body.properties)) }]));
}

/** Events the hub itself writes or names, which need no schema. */
const HUB_EVENTS: ReadonlySet<string> = new Set(['Segment Entered', 'Segment Exited', 'Page Viewed', 'Screen Viewed']);

/** `Segment Entered` / `Exited`, `Journey …` (the hub's own), `Page Viewed` / `Screen Viewed` (page and screen calls in conditions). */
export function isHubEvent(name: string): boolean {
  return HUB_EVENTS.has(name) || name.startsWith('Journey ');
}
