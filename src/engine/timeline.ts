import type { HubEvent, LoggedEvent } from '../core/events/event.js';
import type { Store } from '../adapters/sqlite/index.js';
import { HUB_SEQ, isHubSeq, type TimelinePosition } from '../ports/profile-reader.js';

/**
 * Timeline items for positions, in their order: events from the log and the hub's own
 * events (`isHubSeq`: `Segment Entered`, `Segment Exited`, …) from the state store.
 */
export async function timelineItems(store: Pick<Store, 'log' | 'reader'>, positions: readonly TimelinePosition[]): Promise<Record<string, unknown>[]> {
  const logged = new Map((await store.log.get(positions.filter((p) => !isHubSeq(p.seq)).map((p) => p.seq))).map((l) => [l.seq, eventItem(l)]));
  const own = new Map((await store.reader.hubEvents(positions.filter((p) => isHubSeq(p.seq)).map((p) => p.seq - HUB_SEQ))).map((h) => [HUB_SEQ + h.id, {
    kind: 'hub', messageId: `hub-${h.id}`, ...h.body, timestamp: new Date(h.ts).toISOString(), receivedAt: new Date(h.ts).toISOString(),
  }]));
  return positions.map((p) => logged.get(p.seq) ?? own.get(p.seq)).filter((x): x is Record<string, unknown> => x !== undefined);
}

function eventItem({ event: e }: LoggedEvent): Record<string, unknown> {
  const item: Partial<HubEvent> & Record<string, unknown> = {
    kind: 'event',
    messageId: e.messageId,
    type: e.type,
    event: e.event,
    name: e.name,
    category: e.category,
    userId: e.userId,
    anonymousId: e.anonymousId,
    groupId: e.groupId,
    previousId: e.previousId,
    timestamp: e.timestamp,
    receivedAt: e.receivedAt,
    properties: e.properties,
    traits: e.traits,
    context: e.context,
  };
  for (const k of Object.keys(item)) if (item[k] === undefined) delete item[k];
  return item;
}
