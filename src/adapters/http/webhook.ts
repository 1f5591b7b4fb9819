import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import type { ContributorSettings, DeliveryAdapter, DeliveryResult, OutboundMessage } from '../../ports/delivery.js';
import { deliveryResult, permanent } from './classify.js';
import { DEFAULT_TIMEOUT_MS, HttpUrl, SettingsParser, TimeoutMs } from './settings.js';
import { HttpAdapter } from './base.js';

function decodes(secret: string): boolean {
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

/** A Standard Webhooks secret: `whsec_` and the base64 of the key. */
export const WebhookSecret = z
  .string()
  .startsWith('whsec_', 'must start with whsec_')
  .refine(decodes, 'must be whsec_ followed by a base64 key');

/**
 * A partner's webhook: where to POST, the signing secrets (newest first: during a rotation the hub
 * signs with each, so a receiver holding either verifies), and the timeout of one attempt.
 * `allowPrivate` is accepted and ignored: which private destinations may be called is hub configuration.
 */
export const WebhookSettings = z.object({
  url: HttpUrl,
  secrets: z.array(WebhookSecret).min(1, 'give at least one secret (whsec_…)').max(10, 'at most 10 secrets'),
  timeoutMs: TimeoutMs.optional(),
  allowPrivate: z.unknown().optional(),
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;

interface PreparedWebhook {
  readonly url: URL;
  readonly signers: readonly Webhook[];
  readonly timeoutMs: number;
}

/**
 * Delivers webhook messages: `message.payload` as JSON, POSTed to `settings.url`, signed per Standard
 * Webhooks (`webhook-id` = the message's idempotency key, the same on every retry; `webhook-timestamp`
 * of the attempt; `webhook-signature` with one `v1,…` per secret).
 */
export class WebhookDelivery extends HttpAdapter implements DeliveryAdapter {
  private readonly settings = new SettingsParser<WebhookSettings, PreparedWebhook>('webhook', WebhookSettings, (s) => ({
    url: new URL(s.url),
    signers: s.secrets.map((secret) => new Webhook(secret)),
    timeoutMs: s.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  }));

  async send(message: OutboundMessage, settings: ContributorSettings): Promise<DeliveryResult> {
    const parsed = this.settings.parse(settings);
    if (!parsed.ok) return permanent(parsed.error);
    if (message.payload === undefined) return permanent('the message has no payload (the webhook JSON)');
    const { url, signers, timeoutMs } = parsed.value;
    const body = JSON.stringify(message.payload);
    const at = new Date(this.now());
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      'webhook-id': message.key,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signers.map((signer) => signer.sign(message.key, at, body)).join(' '),
    };
    const outcome = await this.transport.post({ url, headers, body, timeoutMs });
    return deliveryResult(outcome, this.now());
  }
}
