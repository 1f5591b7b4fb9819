import { z } from 'zod';
import type { Identifier } from '../identity/identifier.js';
import { Channel } from '../journeys/definition.js';

/**
 * An entry of a suppression list: an address (an identifier: an e-mail, a phone, a user id) that must
 * not be contacted on a channel, or on any (`*`), whatever its consent says (a hard bounce, a
 * complaint, a legal request).
 */
export const Suppression = z.strictObject({
  type: z.string().min(1).max(64),
  value: z.string().min(1).max(512),
  channel: z.union([Channel, z.literal('*')]).default('*'),
  reason: z.string().min(1).max(200).default('manual'),
});
export type Suppression = z.infer<typeof Suppression>;

/** The key an identifier is listed under. */
export const addressOf = (id: Identifier): string => `${id.type}:${id.value}`;

/** The keys a profile's identifiers may be listed under. */
export const suppressionAddresses = (ids: readonly Identifier[]): string[] => ids.map(addressOf);
