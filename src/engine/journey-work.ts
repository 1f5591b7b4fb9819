import { mergeContacts, type ContactFacts } from '../core/arbitration/decision.js';
import type { HubEvent } from '../core/events/event.js';
import { journeyStep, type JourneyProfileInput } from '../core/journeys/batch.js';
import { mergesByWinner } from '../core/identity/snapshot.js';
import type { JourneyEvent } from '../core/journeys/state.js';
import type { TraitStrategies } from '../core/profiles/traits.js';
import { byTime } from '../core/segments/audience.js';
import { conditionFacts, factEvent } from '../core/segments/batch.js';
import type { JourneyInputs, JourneyWork } from '../ports/state-store.js';
import type { AudienceDefinitionsCache } from './audiences.js';
import { monotonicId } from './ids.js';
import type { JourneyCache } from './journeys.js';
import type { PolicyCache } from './policies.js';

export interface JourneyWorkOptions {
  readonly journeys: JourneyCache;
  readonly audiences: AudienceDefinitionsCache;
  readonly policies: PolicyCache;
  readonly traitStrategies: TraitStrategies;
}

/** Loads what the journey step reads synchronously (published journeys, contact policies) if a change invalidated it. */
export async function prepareJourneyWork(o: JourneyWorkOptions): Promise<void> {
  await o.journeys.prepare();
  await o.policies.prepare();
}

/**
 * The journey step of one unit of work at `now` (both caches prepared); undefined when no journey is
 * published, so processing without journeys pays nothing. `events` are the batch's, by log sequence.
 */
export function journeyWork(o: JourneyWorkOptions, now: number, events?: ReadonlyMap<number, HubEvent>): JourneyWork | undefined {
  if (!o.journeys.any) return undefined;
  const horizon = o.policies.horizon;
  return { ...(horizon > 0 ? { ledger: { since: now - horizon, now } } : {}), run: (inputs) => {
    const profiles = inputs.profiles.filter((p) => o.journeys.of(p.workspaceId).byId.size > 0);
    if (profiles.length === 0) return undefined;
    const happened = eventsByProfile(inputs, events);
    const fresh = new Map((inputs.audience?.audiences ?? []).map((a) => [a.profileId, a.state]));
    const defs = o.audiences.input(now);
    const losers = mergesByWinner(inputs.identity?.merges ?? []);
    const input: JourneyProfileInput[] = profiles.map((p) => {
      const audience = fresh.get(p.id) ?? inputs.audiences.get(p.id)?.state;
      const merged = (losers.get(p.id) ?? []).map((m) => m.loserId);
      return {
        profile: p,
        facts: conditionFacts(p, audience, defs.definitions(p.workspaceId), defs.context(p.workspaceId), now),
        events: (happened.get(p.id) ?? []).sort(byTime),
        stored: inputs.journeys.get(p.id) ?? new Map(),
        mergedIn: merged.flatMap((id) => inputs.journeys.get(id) ?? []),
        contact: mergeContacts(inputs.contacts.get(p.id) ?? NO_CONTACTS, merged.map((id) => inputs.contacts.get(id) ?? NO_CONTACTS)),
      };
    });
    const out = journeyStep({
      profiles: input, journeys: (ws) => o.journeys.of(ws), policy: (ws) => o.policies.of(ws), newDecisionId: () => monotonicId('dec', now),
      traitStrategies: o.traitStrategies, now,
    });
    return out.states.length + out.hubEvents.length + out.profiles.length + out.decisions.length > 0 ? out : undefined;
  } };
}

const NO_CONTACTS: ContactFacts = { ledger: [], suppressed: new Set() };

/** The batch's events and the audience step's `Segment Entered` / `Segment Exited`, per profile. */
function eventsByProfile(inputs: JourneyInputs, events: ReadonlyMap<number, HubEvent> | undefined): Map<string, JourneyEvent[]> {
  const out = new Map<string, JourneyEvent[]>();
  const add = (profileId: string, e: JourneyEvent): void => {
    const list = out.get(profileId);
    if (list) list.push(e);
    else out.set(profileId, [e]);
  };
  for (const t of inputs.identity?.timeline ?? []) {
    const e = events?.get(t.seq);
    const fact = e && factEvent(e);
    if (fact) add(t.profileId, fact);
  }
  for (const h of inputs.audience?.hubEvents ?? []) {
    const p = h.body.properties;
    add(h.profileId, { event: h.body.event, ts: h.ts, messageId: `hub_${h.body.event}_${String(p.segmentId)}_${h.ts}`, properties: p });
  }
  return out;
}
