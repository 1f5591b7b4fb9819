import type { Identifier } from '../core/identity/identifier.js';
import type { ProfileView } from '../ports/profile-reader.js';
import type { Hub } from './hub.js';

/** Whom the hub's own calls about a profile name: its userId, else an anonymousId (a Segment call needs one). */
export function callerOf(profile: ProfileView | undefined): Identifier | undefined {
  return profile?.identifiers.find((i) => i.type === 'userId') ?? profile?.identifiers.find((i) => i.type === 'anonymousId');
}

/** The profile of a visitor an app or page names by Segment ids: by userId, else by anonymousId. */
export async function visitorProfile(hub: Pick<Hub, 'store'>, workspaceId: string, v: { readonly userId?: string; readonly anonymousId?: string }): Promise<ProfileView | undefined> {
  for (const [type, value] of [['userId', v.userId], ['anonymousId', v.anonymousId]] as const) {
    const p = value === undefined ? undefined : await hub.store.reader.byIdentifier(workspaceId, { type, value });
    if (p) return p;
  }
  return undefined;
}
