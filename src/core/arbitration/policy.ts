import { z } from 'zod';
import { Duration } from '../conditions/schema.js';
import { zodErrors } from '../events/validate.js';
import { Channel, Purpose } from '../journeys/definition.js';
import { err, ok, type FieldError, type Result } from '../result.js';

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits or _.:-');
const purposes = z.array(Purpose).min(1).default(['marketing']);

/** A frequency cap: at most `limit` contacts in a rolling `window`, counted over what the filters select. */
export const Cap = z.strictObject({
  id: Id,
  limit: z.number().int().min(0).max(10_000),
  window: Duration,
  channel: Channel.optional(),
  journey: z.string().min(1).max(64).optional(),
  conflictGroup: Id.optional(),
  purposes,
});
export type Cap = z.infer<typeof Cap>;

/** Journeys that must not both message one customer within `window`. */
export const ConflictGroup = z.strictObject({ id: Id, journeys: z.array(z.string().min(1).max(64)).min(2).max(100), window: Duration });
export type ConflictGroup = z.infer<typeof ConflictGroup>;

/**
 * A workspace's contact policy (DESIGN §2): consent per purpose and channel, caps over rolling
 * windows, a cool-down, quiet hours in the profile's time zone, conflict groups and slots.
 */
export const ContactPolicy = z.strictObject({
  /** Purposes that need an explicit opt-in (`consent.<purpose>` or `consent.<purpose>.<channel>` true); the others go unless opted out. */
  optIn: z.array(Purpose).default(['marketing']),
  caps: z.array(Cap).max(100).default([]),
  cooldown: z.strictObject({ after: Duration, purposes }).optional(),
  quietHours: z.strictObject({ from: Clock, to: Clock, action: z.enum(['defer', 'drop']).default('defer'), purposes }).optional(),
  conflictGroups: z.array(ConflictGroup).max(100).default([]),
  /** How many messages per channel one decision may send (default 1 each). */
  slots: z.partialRecord(Channel, z.number().int().min(0).max(100)).default({}),
  /** The score whose value is the propensity in the ranking (default 1 when absent). */
  propensityScore: z.string().min(1).max(256).optional(),
  /** How long decision traces are kept (default 90 days). */
  retention: Duration.default({ amount: 90, unit: 'days' }),
  /** How long a decision API answer holds its items' contacts until the app reports them shown (default 30 minutes). */
  reservation: Duration.refine((d) => d.amount > 0, 'must be longer than 0: a reservation must hold until the next decision').default({ amount: 30, unit: 'minutes' }),
});
export type ContactPolicy = z.infer<typeof ContactPolicy>;

/** Validates a contact policy: the API's and the CLI's one check. */
export function validatePolicy(input: unknown): Result<ContactPolicy, FieldError[]> {
  const r = ContactPolicy.safeParse(input);
  if (!r.success) return err(zodErrors(r.error, ''));
  const ids = new Set<string>();
  const errors: FieldError[] = [];
  r.data.caps.forEach((c, i) => {
    if (ids.has(c.id)) errors.push({ path: `caps[${i}].id`, message: `cap "${c.id}" is defined twice` });
    ids.add(c.id);
    if (c.conflictGroup !== undefined && !r.data.conflictGroups.some((g) => g.id === c.conflictGroup)) {
      errors.push({ path: `caps[${i}].conflictGroup`, message: `names unknown conflict group "${c.conflictGroup}"` });
    }
  });
  return errors.length > 0 ? err(errors) : ok(r.data);
}

