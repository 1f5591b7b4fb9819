import { engagementIncrements, type ReceiptInput } from '../core/arbitration/engagement.js';
import type { EngagementWrite } from '../core/arbitration/decision.js';
import type { HubEvent } from '../core/events/event.js';
import { isReceipt } from '../core/events/receipts.js';
import type { BatchOutcome } from '../core/identity/snapshot.js';
import { facts } from '../core/segments/batch.js';

/**
 * The receipts of a batch (`Message Delivered`, `Message Opened`, …) as engagement counts per profile,
 * channel and local hour (what best channel and send time read); undefined when the batch has none, so
 * other batches pay nothing.
 */
export function engagementWork(events: ReadonlyMap<number, HubEvent>): ((identity: BatchOutcome) => EngagementWrite[]) | undefined {
  const receipts = [...events].filter(([, e]) => e.type === 'track' && e.event !== undefined && isReceipt(e.event));
  if (receipts.length === 0) return undefined;
  const bySeq = new Map(receipts);
  return (identity) => {
    const byProfile = new Map<string, { workspaceId: string; events: ReceiptInput[] }>();
    for (const t of identity.timeline) {
      const e = bySeq.get(t.seq);
      if (e?.event === undefined) continue;
      const p = byProfile.get(t.profileId) ?? { workspaceId: t.workspaceId, events: [] };
      p.events.push({ event: e.event, ts: t.ts, properties: e.properties ?? {} });
      byProfile.set(t.profileId, p);
    }
    const timezones = new Map(identity.profiles.map((p) => [p.id, facts(p.traits.values).timezone]));
    return [...byProfile].map(([profileId, p]) => ({ workspaceId: p.workspaceId, profileId, rows: engagementIncrements(p.events, timezones.get(profileId)) }));
  };
}
