import type { OutboxMessage } from '../core/contributors/outbox.js';
import { validateBatch } from '../core/events/validate.js';
import type { Hub } from './hub.js';
import { callerOf } from './visitor.js';

type ReceiptHub = Pick<Hub, 'store' | 'ingestor' | 'clock' | 'newMessageId'>;

/**
 * Receipts back as events (DESIGN §2): a `track` on the profile's timeline (by its userId, else an
 * anonymousId), with a messageId made from the message's key, so a receipt recorded twice (a retried
 * callback, a click counted again) is stored once when it must be.
 */
export async function recordReceipt(hub: ReceiptHub, m: Pick<OutboxMessage, 'key' | 'workspaceId' | 'profileId' | 'channel' | 'journeyId' | 'decisionId'>, event: string, properties: Readonly<Record<string, unknown>>, messageId = `receipt:${event}:${m.key}`): Promise<boolean> {
  const user = callerOf(await hub.store.reader.byId(m.workspaceId, m.profileId));
  if (!user) return false;
  const call = {
    type: 'track', event, messageId, [user.type]: user.value, timestamp: new Date(hub.clock.now()).toISOString(),
    properties: { channel: m.channel, messageKey: m.key, journeyId: m.journeyId, decisionId: m.decisionId, ...properties },
  };
  return submit(hub, m.workspaceId, [call]);
}

/** Appends the hub's own calls to the log as ingestion does (validated, acknowledged after commit); retries while ingestion is overloaded. */
export async function submit(hub: ReceiptHub, workspaceId: string, batch: readonly unknown[]): Promise<boolean> {
  const r = validateBatch({ batch }, { receivedAt: hub.clock.now(), newMessageId: hub.newMessageId });
  if (!r.ok) throw new Error(`the hub made an invalid event: ${JSON.stringify(r.error.errors)}`);
  for (let attempt = 0; attempt < 10; attempt++) {
    const outcome = await hub.ingestor.submit(workspaceId, r.value.events);
    if (outcome.kind === 'committed') return true;
    await new Promise((resolve) => setTimeout(resolve, outcome.retryAfterSeconds * 1000));
  }
  return false;
}
