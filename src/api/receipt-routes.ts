import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { contributorFor } from '../core/contributors/contributor.js';
import { zodErrors } from '../core/events/validate.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import { RECEIPT } from '../core/events/receipts.js';
import type { Hub } from '../engine/hub.js';
import { recordReceipt } from '../engine/receipts.js';
import { addressOf } from '../engine/render.js';
import { problem, sendProblem } from './problem.js';

/** What a provider reports about a message it was given (by the key the hub sent it with). */
export const ProviderReceipt = z.strictObject({
  messageKey: z.string().min(1).max(512).describe('the idempotency key the message was sent with (Message-ID key, webhook-id, SMS reference)'),
  event: z.enum(['delivered', 'bounced', 'complained', 'opened', 'clicked', 'replied', 'converted']),
  permanent: z.boolean().default(true).describe('bounced: a hard bounce (suppresses the address) or a soft one'),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** Receipt events for a provider's words; a hard bounce and a complaint also suppress the address on the channel. */
const EVENTS = {
  delivered: RECEIPT.delivered, bounced: RECEIPT.bounced, complained: RECEIPT.complained, opened: RECEIPT.opened,
  clicked: RECEIPT.clicked, replied: RECEIPT.replied, converted: RECEIPT.converted,
} as const;

/**
 * Provider callbacks (`POST /v1/receipts/{workspace}/{contributor}`): signed with the Standard Webhooks
 * scheme under the contributor's `callbackSecret` (a credential), verified on the raw body, then
 * recorded as receipts on the message's profile, once per message, event and webhook-id.
 */
export function receiptRoutes(app: FastifyInstance, hub: Hub): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

  app.post<{ Params: { workspace: string; contributor: string } }>('/v1/receipts/:workspace/:contributor', async (req, reply) => {
    const { workspace, contributor } = req.params;
    const c = (await hub.contributors.of(workspace)).find((x) => x.id === contributor);
    const secret = c && (await hub.contributors.settingsOf(workspace, c)).callbackSecret;
    if (typeof secret !== 'string') return sendProblem(reply, problem(404, `no contributor ${contributor} taking signed receipts`));
    let verified: unknown;
    try {
      verified = new Webhook(secret).verify(String(req.body ?? ''), req.headers as Record<string, string>);
    } catch (e) {
      return sendProblem(reply, problem(401, `signature refused: ${(e as Error).message}`));
    }
    const r = ProviderReceipt.safeParse(verified);
    if (!r.success) return sendProblem(reply, problem(400, 'invalid receipt; nothing was recorded', zodErrors(r.error, '')));
    const sent = await hub.store.outbox.get(workspace, r.data.messageKey);
    // A contributor speaks only for the messages it was given.
    const deliverer = sent && contributorFor(sent.message.channel, sent.message.contributor, await hub.contributors.of(workspace));
    if (!sent || deliverer?.id !== contributor) return sendProblem(reply, problem(404, `no message ${r.data.messageKey} sent through ${contributor}`));
    const m = sent.message;
    if (r.data.event === 'complained' || (r.data.event === 'bounced' && r.data.permanent)) {
      const profile = await hub.store.reader.byId(workspace, m.profileId);
      const to = profile && addressOf(m.channel, profile);
      if (to && (m.channel === 'email' || m.channel === 'sms')) {
        const id = normalizeIdentifier({ type: m.channel === 'email' ? 'email' : 'phone', value: to }, hub.config.identity);
        await hub.store.suppressions.add(workspace, { ...id, channel: m.channel, reason: r.data.event === 'complained' ? 'complaint' : 'hard bounce' }, hub.clock.now());
      }
    }
    const event = EVENTS[r.data.event];
    const id = String(req.headers['webhook-id'] ?? '');
    await recordReceipt(hub, m, event, { contributor, via: 'provider', ...(r.data.event === 'bounced' ? { permanent: r.data.permanent } : {}), ...r.data.detail }, `receipt:${event}:${m.key}:${id}`);
    return { recorded: event };
  });
}
