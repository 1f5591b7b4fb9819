import { JsonSms, TwilioSms, WebhookDelivery } from '../adapters/http/index.js';
import { SmtpEmail } from '../adapters/smtp/email.js';
import type { Store } from '../adapters/sqlite/index.js';
import type { Config } from '../config.js';
import type { Provider } from '../core/contributors/contributor.js';
import type { OutboxMessage } from '../core/contributors/outbox.js';
import { normalizeIdentifier } from '../core/identity/identifier.js';
import type { DeliveryAdapter } from '../ports/delivery.js';
import type { Hub } from './hub.js';
import { recordReceipt } from './receipts.js';

/** The channel adapters, by provider. */
export function deliveryAdapters(store: Store, config: Config): Partial<Record<Provider, DeliveryAdapter>> {
  const allow = [...config.allowDestinations];
  return { mailbox: store.mailbox, inbox: store.inbox, smtp: new SmtpEmail(), webhook: new WebhookDelivery({ allow }), jsonSms: new JsonSms({ allow }), twilio: new TwilioSms({ allow }) };
}

/** A receipt from dispatch: an event on the profile's timeline; a permanent bounce also suppresses the address on its channel. */
export async function onReceipt(hub: Hub, m: OutboxMessage, event: string, properties: Readonly<Record<string, unknown>>): Promise<void> {
  // A hard bounce (the receiver refused the recipient for good) suppresses the address; other dead letters (a misconfigured contributor) do not.
  if (event === 'Message Bounced' && properties.permanent === true && typeof properties.to === 'string' && (m.channel === 'email' || m.channel === 'sms')) {
    const id = normalizeIdentifier({ type: m.channel === 'email' ? 'email' : 'phone', value: properties.to }, hub.config.identity);
    await hub.store.suppressions.add(m.workspaceId, { ...id, channel: m.channel, reason: `hard bounce: ${String(properties.error)}`.slice(0, 200) }, hub.clock.now());
  }
  await recordReceipt(hub, m, event, properties);
}
